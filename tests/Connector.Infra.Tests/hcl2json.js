// Parses Terraform files with @cdktf/hcl2json (HCL's own parser, compiled to WebAssembly) and prints one JSON object
// { "<path>": <the file as JSON> }. Exits 1 with the parser's message on the first file that does not parse.
// Usage: node hcl2json.js <repository root> <file>...
"use strict";
const fs = require("fs");
const path = require("path");

const [root, ...files] = process.argv.slice(2);
const { parse } = require(path.join(root, "node_modules", "@cdktf", "hcl2json"));

(async () => {
  const parsed = {};
  for (const file of files) {
    parsed[file] = await parse(path.basename(file), fs.readFileSync(file, "utf8"));
  }
  process.stdout.write(JSON.stringify(parsed));
})().catch((error) => {
  process.stderr.write(String(error) + "\n");
  process.exit(1);
});
