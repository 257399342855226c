import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A port already taken, named by the variable that chose it. */
export class PortInUseError extends Error {
  constructor(variable: string, port: number, options?: ErrorOptions) {
    super(`${variable}: port ${port} is already in use; choose another`, options);
    this.name = 'PortInUseError';
  }
}

/**
 * Listens and resolves once listening. A port in use becomes a PortInUseError that names `variable`, so an
 * operator reads which setting to change rather than a stack trace.
 */
export function listenOn(server: Server, port: number, host: string, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(variable, port, { cause: error }) : error);
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/** `http://host:port` of a listening server; a wildcard address is shown as localhost. */
export function serverOrigin(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  const host =
    address === '0.0.0.0' || address === '::'
      ? 'localhost'
      : address.includes(':')
        ? `[${address}]`
        : address;
  return `http://${host}:${port}`;
}

/**
 * For a main's start-up: a port in use ends the process with one line naming the variable (exit 1);
 * anything else is thrown on.
 */
export function exitOnPortInUse(app: string): (error: unknown) => never {
  return (error) => {
    if (!(error instanceof PortInUseError)) throw error;
    console.error(`${app}: ${error.message}`);
    process.exit(1);
  };
}
