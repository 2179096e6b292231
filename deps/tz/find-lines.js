// find-lines.js -- geo-tz's find() over "LAT LON" lines on stdin, the zones
// comma-separated on stdout, one line each: the oracle mem-scan --tz-lookup
// is compared with (tests/mem-scan-tz.bats, bench/tz). With --time, the
// lookups per second of CPU time (user + system, the find() loop only) go
// to stderr. With --sorted, find() is called in the order mem-scan looks
// positions up (Morton order of latitude and longitude to 16 bits each, as
// tz_order() in tools/mem-scan/tz.c), so that geo-tz too finds its cells
// in cache; the output stays in input order.
'use strict';
const { find } = require('geo-tz');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter((l) => l !== '');
const timed = process.argv.includes('--time');
const sorted = process.argv.includes('--sorted');
const out = new Array(lines.length);
const pos = lines.map((l) => l.trim().split(/\s+/).map(Number));
const order = new Float64Array(lines.length);
function spread16(v) {
	v &= 0xffff;
	v = (v | (v << 8)) & 0x00ff00ff;
	v = (v | (v << 4)) & 0x0f0f0f0f;
	v = (v | (v << 2)) & 0x33333333;
	return (v | (v << 1)) & 0x55555555;
}
const quantize16 = (v, lo, span) => (v >= lo && v <= lo + span ? Math.floor((v - lo) / span * 65535) : 0);
for (let i = 0; i < lines.length; i++) {
	const key = sorted ?
	    ((spread16(quantize16(pos[i][1], -180, 360)) | (spread16(quantize16(pos[i][0], -90, 180)) << 1)) >>> 0) : 0;
	order[i] = key * 2097152 + i;	// key, then input order (i < 2^21)
}
if (sorted) {
	if (lines.length >= 2097152)
		throw new Error('--sorted: too many lines');
	order.sort();
}
const c0 = process.cpuUsage();
for (let k = 0; k < lines.length; k++) {
	const i = order[k] % 2097152;
	try {
		out[i] = find(pos[i][0], pos[i][1]).join(',');
	} catch (e) {
		out[i] = '-';
	}
}
const c1 = process.cpuUsage(c0);
const secs = (c1.user + c1.system) / 1e6;
process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
if (timed)
	process.stderr.write(`${(lines.length / secs).toFixed(0)}\n`);
