// find-lines.js -- geo-tz's find() over "LAT LON" lines on stdin, the zones
// comma-separated on stdout, one line each: the oracle mem-scan --tz-lookup
// is compared with (tests/mem-scan-tz.bats, bench/tz). With --time, the
// lookups per second of CPU time (user + system, the find() loop only) go
// to stderr.
'use strict';
const { find } = require('geo-tz');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter((l) => l !== '');
const timed = process.argv.includes('--time');
const out = new Array(lines.length);
const c0 = process.cpuUsage();
for (let i = 0; i < lines.length; i++) {
	const [lat, lon] = lines[i].trim().split(/\s+/).map(Number);
	try {
		out[i] = find(lat, lon).join(',');
	} catch (e) {
		out[i] = '-';
	}
}
const c1 = process.cpuUsage(c0);
const secs = (c1.user + c1.system) / 1e6;
process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
if (timed)
	process.stderr.write(`${(lines.length / secs).toFixed(0)}\n`);
