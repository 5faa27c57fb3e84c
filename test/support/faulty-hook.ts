/**
 * Test-only entry: bin/oci-netdevices with a netlink fault layer.
 *   node dist/test/support/faulty-hook.js <oci-netdevices arguments>
 * OND_TEST_FAULTS: JSON array of FaultRule; OND_TEST_FAULT_LOG: file that gets one line per fault fired.
 */
import { run } from '../../src/cli/entry.js';
import { type FaultRule, installFaults } from './faulty-transport.js';

const rules = JSON.parse(process.env.OND_TEST_FAULTS ?? '[]') as FaultRule[];
installFaults(rules, process.env.OND_TEST_FAULT_LOG);
await run(process.argv);
process.exit();
