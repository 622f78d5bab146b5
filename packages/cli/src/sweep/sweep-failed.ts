/**
 * A sweep that ran but could not finish: cells failed after their attempts, or the queue stopped
 * answering. `mmx` prints its message as one line and exits with status 1 (not a usage mistake, not a bug).
 */
export class SweepFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SweepFailed";
  }
}
