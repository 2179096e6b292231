// find-lines.js -- geo-tz's find() over "LAT LON" lines on stdin, the zones
// comma-separated on stdout, one line each: the oracle mem-scan --tz-lookup
// is compared with (tests/mem-scan-tz.bats, bench/tz). With --time, the
// lookups per second go to stderr.
'use strict';
const { find } = require('geo-tz');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter((l) => l !== '');
const timed = process.argv.includes('--time');
const out = new Array(lines.length);
const t0 = process.hrtime.bigint();
for (let i = 0; i < lines.length; i++) {
	const [lat, lon] = lines[i].trim().split(/\s+/).map(Number);
	try {
		out[i] = find(lat, lon).join(',');
	} catch (e) {
		out[i] = '-';
	}
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
if (timed)
	process.stderr.write(`${(lines.length / secs).toFixed(0)}\n`);
