// make bench's peer: hogan.js (Twitter's compiled mustache) rendering the same customer
// templates for N customers and writing each file, as a one-pass renderer does. The
// values are stamp's own for a few sample customers (`stamp show`), given each
// customer's id; compiling and writing are timed, setting up is not.
//   node bench/hogan.js TEMPLATES_DIR VALUES_DIR N OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const Hogan = require('hogan.js');
const YAML = require('yaml');

const [templatesDir, valuesDir, count, outDir] = process.argv.slice(2);
const n = Number(count);
const samples = fs.readdirSync(valuesDir).sort().map((f) => {
  const id = path.basename(f, '.yaml');
  return { id, text: JSON.stringify(YAML.parse(fs.readFileSync(path.join(valuesDir, f), 'utf8'))) };
});
const names = fs.readdirSync(path.join(templatesDir, 'customer')).filter((f) => f.endsWith('.yaml')).sort();
const partialsDir = path.join(templatesDir, 'partials');
const partialSources = {};
for (const f of fs.existsSync(partialsDir) ? fs.readdirSync(partialsDir) : [])
  partialSources[path.basename(f, path.extname(f))] = fs.readFileSync(path.join(partialsDir, f), 'utf8');
// the values of customer i: a sample's, with the sample's id replaced by the customer's
const contexts = [];
for (let i = 0; i < n; i++) {
  const s = samples[i % samples.length];
  const id = 'c' + String(i).padStart(6, '0');
  contexts.push(JSON.parse(s.text.split(s.id).join(id)));
}

const start = process.hrtime.bigint();
const templates = names.map((f) => Hogan.compile(fs.readFileSync(path.join(templatesDir, 'customer', f), 'utf8')));
const partials = {};
for (const k of Object.keys(partialSources)) partials[k] = Hogan.compile(partialSources[k]);
let files = 0;
for (const values of contexts) {
  const dir = path.join(outDir, 'customers', values.id);
  fs.mkdirSync(dir, { recursive: true });
  for (let t = 0; t < templates.length; t++) {
    fs.writeFileSync(path.join(dir, names[t]), templates[t].render(values, partials));
    files++;
  }
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`${files} ${seconds.toFixed(4)}`);
