# plan.mk -- the rules of the pipeline's per-item steps; GNU make 4.3 or later.
#
# The data (item IDs per export and per stage) comes from the generated
# $(OUT)/.mem/plan/plan.mk, written by mem-plan. No path ever appears in
# either file: an item is its ID, and its record OUT/.mem/items/ID.item is
# the sidecar that holds the paths. See docs/pipeline.md.
#
#	make -f scripts/plan.mk -k -jN OUT=/output		every item
#	make -f scripts/plan.mk -k OUT=/output upload		every export's upload
#	make -f scripts/plan.mk OUT=/output /output/.mem/stamp/ID.ok	one item
#
# mem-job, mem-fetch, mem-exif, mem-loudnorm and mem-upload are found on PATH.

ifeq ($(OUT),)
$(error OUT is not set: make -f plan.mk OUT=/output)
endif

MAKEFLAGS += --no-builtin-rules --no-builtin-variables
.SUFFIXES:
.DELETE_ON_ERROR:
.SECONDARY:
SHELL := /bin/sh

M := $(OUT)/.mem
include $(M)/plan/plan.mk
-include $(M)/run/batches.mk

EXIF_OK := $(EXIF:%=$(M)/stamp/%.ok)
NORM_OK := $(NORM:%=$(M)/stamp/%.ok)
FETCH_DONE := $(FETCH:%=$(M)/stamp/%.fetch)

# RUN is the order to start the jobs in (long items first, see mem-plan);
# make drops the repeated prerequisites, and a plan without RUN still works.
all: $(PART_RUN:%=$(M)/stamp/%.ok) $(RUN:%=$(M)/stamp/%.ok) $(EXIF_OK) $(NORM_OK)

# One tool call per item: mem-job runs the tool with the item's record,
# keeps its log, and writes the stamp only when the tool succeeded.
$(filter-out $(JOB_BATCHED:%=$(M)/stamp/%.ok) $(PART_BATCHED:%=$(M)/stamp/%.ok),$(EXIF_OK)): $(M)/stamp/%.ok: $(M)/items/%.item
	@mem-job $(OUT) exif $*

$(filter-out $(JOB_BATCHED:%=$(M)/stamp/%.ok) $(PART_BATCHED:%=$(M)/stamp/%.ok),$(NORM_OK)): $(M)/stamp/%.ok: $(M)/items/%.item
	@mem-job $(OUT) norm $*

# The short items to do come in batches (JOB_BATCHES, JB_*: mem-plan
# writes them for each run in run/batches.mk, a plan without it still
# works; included above): one job, one mem-job for several photos, still one tool call,
# log, stamp and event per item. A batch fails when one of its items did;
# the stamps its other items wrote are kept (.PRECIOUS: a stamp is only
# ever written after its item succeeded).
define job_batch
$(patsubst %,$(M)/stamp/%.ok,$(JB_$(1))) &: $(patsubst %,$(M)/items/%.item,$(JB_$(1)))
	@mem-job $(OUT) $(firstword $(subst -, ,$(1))) $(JB_$(1))
endef
$(foreach b,$(JOB_BATCHES),$(eval $(call job_batch,$(b))))
.PRECIOUS: $(JOB_BATCHED:%=$(M)/stamp/%.ok)

# The items of a part that can only be read in order (tar, tgz; PART_JOBS,
# PJ_* in run/batches.mk, the IDs also in run/parts/NAME): one job and one
# tool run per stage and part, which reads the part once; still one log,
# stamp, event and failure record per item (scripts/mem-job-part). Started
# first (PART_RUN, above): a part's job is the run's longest.
define part_job
$(patsubst %,$(M)/stamp/%.ok,$(PJ_$(1))) &: $(patsubst %,$(M)/items/%.item,$(PJ_$(1)))
	@mem-job $(OUT) $(firstword $(subst -, ,$(1))) --part $(1)
endef
$(foreach p,$(PART_JOBS),$(eval $(call part_job,$(p))))
.PRECIOUS: $(PART_BATCHED:%=$(M)/stamp/%.ok)

# An item the export only links to is downloaded first (mem-fetch); its
# step then reads the record mem-fetch wrote. The downloads to do come in
# batches (FB_*, mem-plan): one job, one process and one kept-alive
# connection for several items, each with its own stamp. A batch's job
# succeeds when it has recorded each item's result, so that one failed
# download does not hold back the others' steps; the failed item's own
# step then stops (mem-job), its failure already reported.
export MEM_JOB_FETCHED := 1
define fetch_batch
$(patsubst %,$(M)/stamp/%.fetch,$(FB_$(1))) &: $(patsubst %,$(M)/items/%.item,$(FB_$(1)))
	@mem-job $(OUT) fetch $(FB_$(1))
endef
$(foreach b,$(FETCH_BATCHES),$(eval $(call fetch_batch,$(b))))

$(filter-out $(FETCH_BATCHED:%=$(M)/stamp/%.fetch),$(FETCH_DONE)): $(M)/stamp/%.fetch: $(M)/items/%.item
	@mem-job $(OUT) fetch $*

$(FETCH:%=$(M)/stamp/%.ok): $(M)/stamp/%.ok: $(M)/stamp/%.fetch
# (mem-job then reads mem-fetch's record, without looking for the link)
$(FETCH:%=$(M)/stamp/%.ok): export MEM_JOB_LINKED := 1

# Only the downloads (mem-pipeline runs them here before sending the items
# to other hosts).
fetch: $(FETCH_DONE)

# Uploads of what is done, export by export; mem-upload's lock makes them
# run one at a time even under -j.
upload: $(EXPORTS:%=upload-%)

$(EXPORTS:%=upload-%): upload-%:
	@mem-job $(OUT) upload $*

.PHONY: all fetch upload $(EXPORTS:%=upload-%)
