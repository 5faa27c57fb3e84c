// A thin synchronous syscall shim. No policy lives here: every decision is
// made in TypeScript (src/), this file only reaches what Node cannot.
#include <napi.h>

#include "constants.h"
#include "netlink.h"
#include "netns-open.h"
#include "syscalls.h"
#include "udp.h"

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkOpen", Napi::Function::New(env, NetlinkOpen));
  exports.Set("netlinkSend", Napi::Function::New(env, NetlinkSend));
  exports.Set("netlinkRecv", Napi::Function::New(env, NetlinkRecv));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("bindMount", Napi::Function::New(env, BindMount));
  exports.Set("unmount", Napi::Function::New(env, Unmount));
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("strerror", Napi::Function::New(env, Strerror));
  exports.Set("execve", Napi::Function::New(env, Execve));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred));
  exports.Set("closeOnExecFrom", Napi::Function::New(env, CloseOnExecFrom));
  exports.Set("readDirFiles", Napi::Function::New(env, ReadDirFiles));
  exports.Set("openInNetns", Napi::Function::New(env, OpenInNetns));
  exports.Set("udpOpenInNetns", Napi::Function::New(env, UdpOpenInNetns));
  exports.Set("udpSendTo", Napi::Function::New(env, UdpSendTo));
  exports.Set("udpRecvFrom", Napi::Function::New(env, UdpRecvFrom));
  exports.Set("constants", Constants(env));
  return exports;
}

NODE_API_MODULE(netdevices, Init)
