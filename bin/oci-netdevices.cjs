'use strict';
// Started by bin/oci-netdevices (a shell script that chose Node's environment).
// CommonJS (bin/package.json): Node starts a CommonJS entry faster than an ES module one.
// argv: [node, this file, the path the user ran, ...arguments]; the entry sees [node, that path, ...arguments].
const argv = [process.argv[0], process.argv[2], ...process.argv.slice(3)];
require('./load-bundle.cjs')
  .load(require('node:path').join(__dirname, '..', 'dist', 'bundle', 'entry.js'))
  .run(argv)
  // Everything is written by now (stderr, stdout and the log are synchronous here); leaving at once
  // spares the event loop's teardown, some milliseconds on the critical path of every container start.
  .then(() => process.exit());
