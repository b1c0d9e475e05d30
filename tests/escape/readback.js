// Reads back every HCL output the escaping test accepted with HashiCorp's own HCL parser
// (compiled to WebAssembly in @cdktf/hcl2json). Each case must parse, keep exactly its
// attributes, and give back the value. hcl2json answers in Terraform's JSON syntax, where
// a literal "${" or "%{" is written "$${" / "%%{"; the expected value is put in that form.
// Usage: node readback.js CASES_FILE
'use strict';
const fs = require('fs');

let parse;
try {
  ({ parse } = require('@cdktf/hcl2json'));
} catch (e) {
  console.log('escape read-back (HCL): skipped (@cdktf/hcl2json is not installed)');
  process.exit(0);
}

const text = (hex) => (hex === '-' ? Buffer.alloc(0) : Buffer.from(hex, 'hex'));
const jsonSyntax = (s) => s.replace(/([$%])\{/g, '$1$1{');

async function main() {
  let passed = 0;
  let failed = 0;
  const lines = fs.readFileSync(process.argv[2], 'ascii').split('\n').filter((l) => l.startsWith('hcl '));
  for (const line of lines) {
    const [, keys, path, expectedHex, outputHex, ...rest] = line.split(' ');
    const name = rest.join(' ');
    const output = text(outputHex).toString('utf8');
    const expected = text(expectedHex).toString('utf8');
    try {
      const root = await parse('case.tfvars', output);
      const got = Object.keys(root).sort().join('|');
      const want = keys.split('|').sort().join('|');
      if (got !== want) throw new Error(`attributes ${got} != ${want}`);
      if (path !== '-') {
        let v = root;
        for (const p of path.split(',')) v = v[p];
        if (typeof v !== 'string') throw new Error(`value is ${typeof v} ${JSON.stringify(v)}`);
        if (v !== jsonSyntax(expected)) throw new Error(`${JSON.stringify(v)} != ${JSON.stringify(jsonSyntax(expected))}`);
      }
      passed++;
    } catch (e) {
      failed++;
      console.error(`FAIL ${name}: ${e.message}\n  output: ${JSON.stringify(output)}`);
    }
  }
  console.log(`escape read-back (HCL): ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
main();
