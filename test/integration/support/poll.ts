// Polling with a deadline: the only way the fault tests wait for something to happen.
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  options: { timeoutMs?: number; intervalMs?: number; describe?: () => string | Promise<string> } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown = null;
  for (;;) {
    try {
      const result = await probe();
      if (result !== undefined && result !== null && result !== false) return result;
      lastError = null;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = options.describe ? await options.describe() : '';
      const cause = lastError ? ` (last error: ${String((lastError as Error).message ?? lastError)})` : '';
      throw new Error(
        `timed out after ${options.timeoutMs ?? 60_000} ms waiting for ${what}${cause}\n${detail}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}
