// Reloads that engine events can ask for many times a second (a burst of delivery receipts)
// collapse into one running load plus at most one more after it, which reads the newest inputs.

/** Wrap `run`; calling the result while a run is in flight schedules exactly one more run. */
export function coalesce(run: () => Promise<void>): () => Promise<void> {
  let inFlight: Promise<void> | null = null;
  let again = false;
  const trigger = async (): Promise<void> => {
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      try {
        do {
          again = false;
          await run();
        } while (again);
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  };
  return trigger;
}
