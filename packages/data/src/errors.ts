/** A data file that is missing, truncated or malformed; `offset` is the byte offset of the problem, if any. */
export class DataFileError extends Error {
  constructor(
    readonly path: string,
    readonly offset: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = "DataFileError";
  }
}
