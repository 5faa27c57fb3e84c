/** The DHCP client's socket: UDP port 68 bound to the device, opened inside the container netns by the native shim. */
import { native } from '../native/binding.js';
import type { DhcpTransport } from './client.js';
import { DHCP_CLIENT_PORT } from './packet.js';

export function udpTransportIn(netnsFd: number, ifname: string): DhcpTransport {
  const n = native();
  const fd = n.udpOpenInNetns(netnsFd, ifname, DHCP_CLIENT_PORT);
  let open = true;
  return {
    send: (data, address, port) => {
      n.udpSendTo(fd, data, address, port);
    },
    recv: (timeoutMs) => n.udpRecvFrom(fd, timeoutMs),
    close: () => {
      if (open) n.close(fd);
      open = false;
    },
  };
}
