export {
  checkExtension,
  checkPhone,
  sanitizeName,
  dialplanName,
  DIALPLAN_NAME_RE,
  EXTENSION_RE,
  type Checked,
} from '@fleet/validate';
export {
  originateCommand,
  nextCallCommand,
  nextNameCommand,
  showChannelsCommand,
  showVersionCommand,
  originateChannels,
  newOriginateChannelSeen,
  DB_PUT_OK,
  CONTEXT_RE,
  BINARY_RE,
  CLI_LINE_RE,
  UnsafeCommandError,
  type OriginateSpec,
} from './commands.ts';
export { parseHostKey, hostKeyFromBlob, formatHostKey, fingerprint, type HostKey } from './host-key.ts';
export {
  openConnection,
  execWithDeadline,
  targetName,
  type HostTarget,
  type ExecResult,
  type ConnectOptions,
} from './connection.ts';
export { createHostPool, type HostPool, type HostPoolOptions, type HostStats, type ExecOptions } from './pool.ts';
export { createShellTransport, type ShellTransport, type Transport } from './shell.ts';
export { Framer, shellLine, newMarker, type Frame } from './framing.ts';
export { createLimiter, type Limiter } from './limiter.ts';
export { HostError, isHostError, type HostErrorCode } from './errors.ts';
