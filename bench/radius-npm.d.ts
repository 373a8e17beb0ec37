/**
 * Types for the parts of npm `radius` 1.1.4 (a devDependency, used only as a benchmark contender)
 * that the benchmarks call. The package ships no types of its own.
 */
declare module 'radius' {
  /** `[name, value]`, `[name, tag, value]` or `[type, Buffer]`, as the package's README describes. */
  type RadiusNpmAttribute = readonly [string | number, ...unknown[]];

  /** What `decode` returns. */
  interface RadiusNpmPacket {
    code: string;
    identifier: number;
    length: number;
    authenticator: Buffer;
    attributes: Record<string, unknown>;
    raw_attributes: Array<[number, Buffer]>;
  }

  interface RadiusNpm {
    encode(args: {
      code: string;
      secret: string;
      identifier?: number;
      authenticator?: Buffer;
      attributes?: RadiusNpmAttribute[];
      add_message_authenticator?: boolean;
    }): Buffer;
    decode(args: { packet: Buffer; secret: string }): RadiusNpmPacket;
    encode_response(args: {
      packet: RadiusNpmPacket;
      code: string;
      secret: string;
      attributes?: RadiusNpmAttribute[];
    }): Buffer;
    verify_response(args: { response: Buffer; request: Buffer; secret: string }): boolean;
  }

  const radius: RadiusNpm;
  export default radius;
}
