// tz-edge-points.js -- positions exactly on geo-tz's own polygons: vertices,
// midpoints of edges and points along edges (as doubles), from cells of
// timezones-1970.geojson.geo.dat picked by a seeded generator; "LAT LON"
// lines, printed with every digit. geo-tz's find() counts a point on an edge
// as inside, so these are where two answers meet.
// Usage: node tz-edge-points.js DATADIR NCELLS PERCELL > FILE
'use strict';
const fs = require('fs');
const geobuf = require('geobuf');
const Pbf = require('pbf');
const PbfClass = Pbf.default || Pbf;
const [dir, ncells, percell] = [process.argv[2], +process.argv[3], +process.argv[4]];
const index = JSON.parse(fs.readFileSync(`${dir}/timezones-1970.geojson.index.json`));
const fd = fs.openSync(`${dir}/timezones-1970.geojson.geo.dat`, 'r');
const cells = [];
(function walk(node) {
	if (node && node.pos >= 0 && node.len)
		cells.push(node);
	else if (node && typeof node === 'object' && !Array.isArray(node))
		for (const q of ['a', 'b', 'c', 'd'])
			walk(node[q]);
})(index.lookup);
let seed = 7;
function rnd() {	// mulberry32
	seed = (seed + 0x6d2b79f5) | 0;
	let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
	t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
	return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const out = [];
for (let c = 0; c < ncells; c++) {
	const cell = pick(cells);
	const buf = Buffer.alloc(cell.len);
	fs.readSync(fd, buf, 0, cell.len, cell.pos);
	const features = geobuf.decode(new PbfClass(buf)).features;
	for (let k = 0; k < percell; k++) {
		const g = pick(features).geometry;
		const ring = pick(pick(g.type === 'Polygon' ? [g.coordinates] : g.coordinates));
		const i = Math.floor(rnd() * (ring.length - 1));
		const [a, b] = [ring[i], ring[i + 1]];
		const p = k % 3 === 0 ? a : k % 3 === 1 ? [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] :
		    [a[0] + (b[0] - a[0]) * rnd(), a[1] + (b[1] - a[1]) * rnd()];
		out.push(`${p[1]} ${p[0]}`);
	}
}
process.stdout.write(out.join('\n') + '\n');
