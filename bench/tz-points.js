// tz-points.js -- positions for bench/tz, from a seeded generator: NLAND
// random positions on land (geo-tz gives a zone that is not Etc/*), and
// NBORDER positions within a few centimetres of a border between two zones
// (found by bisecting between two land positions up to 1 degree apart with
// different zones, then moved by up to 1e-6 degree).
// Usage: node bench/tz-points.js NLAND NBORDER LANDFILE BORDERFILE
'use strict';
const fs = require('fs');
const { find } = require(process.env.GEO_TZ || 'geo-tz');
const [nland, nborder] = process.argv.slice(2, 4).map(Number);
const [landfile, borderfile] = process.argv.slice(4, 6);
let seed = 12345;
function rnd() {	// mulberry32
	seed = (seed + 0x6d2b79f5) | 0;
	let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
	t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
	return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function land() {
	for (;;) {
		const lat = Math.asin(2 * rnd() - 1) * 180 / Math.PI;
		const lon = 360 * rnd() - 180;
		const z = find(lat, lon)[0];
		if (!z.startsWith('Etc/'))
			return [lat, lon, z];
	}
}
const fmt = (lat, lon) => `${lat.toFixed(9)} ${lon.toFixed(9)}`;
const landPts = [];
while (landPts.length < nland) {
	const [lat, lon] = land();
	landPts.push(fmt(lat, lon));
}
fs.writeFileSync(landfile, landPts.join('\n') + '\n');
const border = [];
while (border.length < nborder) {
	const [lat, lon, z] = land();
	const lat2 = Math.max(-89, Math.min(89, lat + 2 * rnd() - 1));
	const lon2 = Math.max(-180, Math.min(180, lon + 2 * rnd() - 1));
	const z2 = find(lat2, lon2)[0];
	if (z2 === z || z2.startsWith('Etc/'))
		continue;
	let a = [lat, lon], b = [lat2, lon2];
	for (let i = 0; i < 40; i++) {
		const m = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
		if (find(m[0], m[1])[0] === z)
			a = m;
		else
			b = m;
	}
	border.push(fmt(a[0] + (rnd() - 0.5) * 2e-6, a[1] + (rnd() - 0.5) * 2e-6));
}
fs.writeFileSync(borderfile, border.join('\n') + '\n');
