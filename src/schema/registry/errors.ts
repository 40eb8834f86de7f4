/** A Schema Registry failure with Confluent's HTTP status and error code (40401, 42201, 409, ...). */
export class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = "RegistryError";
  }
}
