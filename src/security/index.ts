// Entry point of the security layer, imported by the CLI only when security options are given.
export function securityFor(..._: unknown[]): never {
  throw new Error("SASL and ACLs are not implemented yet");
}
