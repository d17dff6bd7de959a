/**
 * Thrown by a handler for a message that can never succeed (it breaks a
 * contract or names something that cannot exist). The consumer sends it to
 * its dead-letter topic at once instead of retrying.
 */
export class PermanentMessageError extends Error {
  constructor(
    readonly reasonCode: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Thrown by a handler when the message refers to something that has not
 * arrived yet on another topic (a membership before its workspace). The
 * consumer retries it like a transient error, and once its attempts are used
 * up sends it to the dead-letter topic instead of blocking the partition.
 */
export class MissingReferenceError extends Error {
  constructor(
    readonly reasonCode: string,
    message: string,
  ) {
    super(message);
  }
}
