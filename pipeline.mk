# pipeline.mk -- the main job: make -jN IN=DIR OUT=DIR (see docs/pipeline.md).
# Included by Makefile. Placeholder until the pipeline lands.
pipeline:
	@echo "pipeline: not built yet" >&2; exit 2
.PHONY: pipeline
