// Validates every rendered Kubernetes object under an out/ tree against the OpenAPI
// schemas of Kubernetes (kubernetes-models) and of the CRDs it uses (Argo CD,
// cert-manager, External Secrets; each item of a v1 List), and reads every .tfvars with
// HashiCorp's HCL parser.
// Usage: node validate.mjs NODE_MODULES_DIR OUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [modules, outDir] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(modules), 'noop.js'));
let YAML, parseHcl;
try {
  YAML = require('yaml');
  ({ parse: parseHcl } = require('@cdktf/hcl2json'));
  fs.accessSync(path.join(modules, 'kubernetes-models', 'v1', 'Namespace.js'));
} catch (e) {
  console.log('schema validation: skipped (the npm validation packages are not installed)');
  process.exit(0);
}

const packages = ['kubernetes-models', '@kubernetes-models/argo-cd', '@kubernetes-models/cert-manager',
  '@kubernetes-models/external-secrets'];

async function model(apiVersion, kind) {
  const parts = apiVersion.split('/');
  for (const pkg of packages) {
    const file = path.resolve(modules, pkg, ...parts, `${kind}.js`);
    if (fs.existsSync(file)) {
      const mod = await import(pathToFileURL(file).href);
      return mod[kind] || mod.default;
    }
  }
  return null;
}

function walk(dir, out) {
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

let passed = 0;
let failed = 0;
const fail = (file, why) => { failed++; console.error(`FAIL ${file}: ${why}`); };
for (const file of walk(outDir, [])) {
  const base = path.basename(file);
  if (file.endsWith('.tfvars')) {
    try {
      const parsed = await parseHcl(base, fs.readFileSync(file, 'utf8'));
      if (Object.keys(parsed).length === 0) throw new Error('no variables');
      const records = parsed.customer_dns_records || [];
      for (const r of records) {
        if (!r.customer || !r.name || r.type !== 'A' || !/^\d+\.\d+\.\d+\.\d+$/.test(r.value)) {
          throw new Error(`malformed record ${JSON.stringify(r)}`);
        }
      }
      passed++;
    } catch (e) { fail(file, e.message); }
    continue;
  }
  if (!file.endsWith('.yaml') || base === 'values.yaml' || base === 'kustomization.yaml') continue;
  try {
    const doc = YAML.parse(fs.readFileSync(file, 'utf8'), { version: '1.2', uniqueKeys: true });
    // a v1 List holds several objects (one per service, say): each is validated
    const objects = doc.apiVersion === 'v1' && doc.kind === 'List' ? doc.items : [doc];
    if (!Array.isArray(objects) || objects.length === 0) throw new Error('an empty List');
    for (const object of objects) {
      const Model = await model(object.apiVersion, object.kind);
      if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
      new Model(object).validate();
    }
    passed++;
  } catch (e) { fail(file, e.message); }
}
console.log(`schema validation: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
