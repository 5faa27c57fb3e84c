'use strict';
// Started by bin/oci-netdevices-runtime, as bin/oci-netdevices.cjs. The wrapper ends in execve or exits itself.
// argv[2] is the path the user ran (oci-netdevices-crun, say): the wrapper chooses the real runtime by it.
require('./load-bundle.cjs')
  .load(require('node:path').join(__dirname, '..', 'dist', 'bundle', 'runtime-entry.js'))
  .runWrapper([process.argv[0], process.argv[2], ...process.argv.slice(3)]);
