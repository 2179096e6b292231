/*
 * tz.h -- time zones for mem-scan: the IANA zone at a position (geo-tz's
 * timezone-boundary-builder data) and a zone's UTC offset at an instant
 * (the system's TZif files). tz.c; the offset cascade is offsets.c.
 */
#include <stddef.h>
#include <stdint.h>

#define TZ_MAX_ZONES 32		/* geo-tz answers 25 ocean zones at the pole */

/* Where the geo-tz data lives: $MEM_TZ_DATA, else the build's default. */
const char *tz_data_dir(void);
/* Load the quadtree index of the data in dir (once). 0, or -1 with a
 * reason in *why. */
int	 tz_open(const char *dir, const char **why);
/* Parse the JSON index in dir and write its compact form beside it, which
 * tz_open() reads instead while it matches the JSON (make runs this,
 * through tz-compact). 0, or -1 with a reason in *why. */
int	 tz_compact(const char *dir, const char **why);
/* The zones at (lat, lon), as geo-tz's find() gives them, in its order:
 * *n of them in zones (at least one for any valid position; ocean gives
 * Etc/GMT±N). 0, or -1 when the position is invalid or the data cannot be
 * read (*why says which). The names stay valid until tz_close(). */
int	 tz_find(double lat, double lon, const char *zones[TZ_MAX_ZONES],
	    size_t *n, const char **why);
void	 tz_close(void);
/* The order (indexes into lat[], lon[]) in which to look n positions up so
 * that each cell of the data is decoded once and stays in cache. */
void	 tz_order(size_t n, const double *lat, const double *lon, size_t *order);

/* The offset (minutes east of UTC) of zone at instant utc, from the
 * zone's TZif file, read once a run. 0, or -1 when the zone is unknown. */
int	 tz_offset(const char *zone, int64_t utc, int32_t *off);
/* The instant at which zone's clocks showed wall (a wall clock written
 * as if it were UTC), and its offset: the earlier one in a fold, the
 * offset before the change in a gap. 0, or -1 when the zone is unknown. */
int	 tz_from_wall(const char *zone, int64_t wall, int64_t *utc, int32_t *off);

/* offsets.c: the cascade (docs/design.md §3, offset_source). */
struct export;
extern const char *scan_timezone;	/* --timezone ZONE, validated */
extern int64_t scan_tz_window;		/* --tz-window, seconds */
/* Load the zone data now if it is there (before the scan, for memory). */
void	 offsets_prepare(void);
/* Give every item of the run's exports its offset and offset_source. */
void	 offsets_resolve(struct export **exs, size_t nex);
/* mem-scan --tz-lookup: "LAT LON" lines in, geo-tz's zones out. */
int	 tz_lookup_lines(void);
