// The worker's build entry: its output must stay /sw.js, the URL every installed dashboard
// has registered (an old worker whose script URL answers 404 never updates). The worker
// itself is service-worker.ts.
import './service-worker.ts';
