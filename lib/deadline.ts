/**
 * Waits for `work` at most `ms`, then rejects with `expired()`. The work itself goes on (nothing can
 * cancel a command already sent); the caller stops waiting. One timer, unref'd so it never holds the
 * process open, and cleared as soon as either side settles, so it keeps nothing alive afterwards.
 */
export async function withinDeadline<T>(work: Promise<T>, ms: number, expired: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(expired());
    }, ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
