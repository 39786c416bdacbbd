import { BehaviorSubject, type Observable } from 'rxjs';

/** Where the build puts the worker (vite.config.ts, injectManifest). */
const WORKER_URL = '/sw.js';
/** How often an open page asks whether a new build was deployed (also on each return to the tab). */
const CHECK_EVERY_MS = 60 * 60 * 1000;

export interface DashboardUpdate {
  /** true once a new build is installed and waiting for the person's click. */
  readonly available$: Observable<boolean>;
  /** Activates the waiting build; the page reloads when it takes over. */
  apply(): void;
}

/**
 * Registers the dashboard's service worker and watches for a new build (issue 20.4). A new
 * worker installs in the background and waits; the page offers "A new version is available"
 * and only the person's click activates it (SKIP_WAITING), after which every tab reloads on
 * the new build. Local writes live in IndexedDB, so the pending ones survive the reload and
 * are pushed by the new page.
 */
export function registerServiceWorker(container: ServiceWorkerContainer | undefined = navigator.serviceWorker): DashboardUpdate {
  const available = new BehaviorSubject(false);
  let waiting: ServiceWorker | null = null;
  if (!container) return { available$: available.asObservable(), apply: () => undefined };

  const offer = (worker: ServiceWorker | null) => {
    // No controller yet: this is the first install, nothing to replace.
    if (!worker || !container.controller) return;
    waiting = worker;
    available.next(true);
  };
  // Whoever clicked (this tab or another), the new build took over: load it.
  let reloading = false;
  container.addEventListener('controllerchange', () => {
    if (!available.value || reloading) return;
    reloading = true;
    window.location.reload();
  });

  void container.register(WORKER_URL).then(
    (registration) => {
      offer(registration.waiting);
      registration.addEventListener('updatefound', () => {
        const installing = registration.installing;
        installing?.addEventListener('statechange', () => {
          if (installing.state === 'installed') offer(registration.waiting ?? installing);
        });
      });
      const check = () => void registration.update().catch(() => undefined);
      setInterval(check, CHECK_EVERY_MS);
      document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && check());
    },
    () => undefined,
  );

  return {
    available$: available.asObservable(),
    apply: () => waiting?.postMessage({ type: 'SKIP_WAITING' }),
  };
}
