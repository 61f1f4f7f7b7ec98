// A driver whose applies are timed for the metrics: the bus says what was applied, not how long
// it took. The wrapper lives here so that status only supplies the clock and never holds a driver.
import type { IpvsDriver } from './types.js';

/** The same driver; `startTimer` is called as each apply begins, and what it returns as it ends. */
export function timedDriver(driver: IpvsDriver, startTimer: () => () => void): IpvsDriver {
  return {
    get name() {
      return driver.name;
    },
    read: () => driver.read(),
    sync: driver.sync,
    apply: async (changes) => {
      const end = startTimer();
      try {
        return await driver.apply(changes);
      } finally {
        end();
      }
    },
    close: driver.close ? () => driver.close!() : undefined,
  };
}
