# pipeline.mk -- the main job, included by Makefile (see docs/pipeline.md):
#
#	make -jN IN=EXPORT OUT=DIR		one export
#	make -jN ORIGINALS=DIR OUT=DIR		every subdirectory of DIR is an export
#	make upload OUT=DIR			upload what an earlier run made
#
# Knobs: PARALLEL_EXPORTS, WORKERS (without -j, mem-advise picks -j from
# them), ENGINE=parallel (GNU parallel instead of make), SKIP_UPLOAD=1,
# TIMEZONE=ZONE (the IANA zone of items nothing else places: mem-scan --timezone).
# FETCH=0 (no downloads of media the exports only link to; reported, exit 1).
# Immich: IMMICH_INSTANCE_URL and IMMICH_API_KEY in the environment, never
# on this command line (make would show the key to every child process).
#
# make hands these variables to scripts/mem-pipeline through the
# environment, so no path is ever part of a recipe's text; the leading +
# lets the per-item make join this make's job server (-jN).

pipeline: all
	+@scripts/mem-pipeline

upload: all
	+@scripts/mem-pipeline --upload-only

.PHONY: pipeline upload
