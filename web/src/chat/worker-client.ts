// A Web Worker as its main-thread client sees it: started on first use, and
// failed for good once it cannot start or reports an error, after which the
// client does without it. highlight.ts (Shiki) and blocks.tsx (markdown
// parsing) are its clients.

/** What a client needs of a Worker (tests pass a fake). */
export interface WorkerLike<Request, Response> {
  postMessage(message: Request): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<Response>) => void): void;
  addEventListener(type: 'error' | 'messageerror', listener: (event: Event) => void): void;
  terminate(): void;
}

export interface LazyWorkerOptions<Request, Response> {
  /** How its log lines start, e.g. `[markdown]`. */
  tag: string;
  /** What the client does once the worker has failed, for the log. */
  without: string;
  /** Creates the worker; undefined where workers are unavailable. */
  create: () => WorkerLike<Request, Response> | undefined;
  onMessage: (message: Response) => void;
  /** Called once, when a started worker fails. */
  onFail: () => void;
}

export class LazyWorker<Request, Response> {
  private worker: WorkerLike<Request, Response> | undefined;
  private state: 'idle' | 'ready' | 'failed' = 'idle';

  constructor(private readonly opts: LazyWorkerOptions<Request, Response>) {}

  /** The worker, started on first use; undefined once it cannot start or
   * has failed. */
  get(): WorkerLike<Request, Response> | undefined {
    if (this.state === 'idle') {
      try {
        this.worker = this.opts.create();
      } catch (e) {
        console.error(`${this.opts.tag} no worker:`, e);
      }
      if (!this.worker) {
        this.state = 'failed';
        return undefined;
      }
      this.state = 'ready';
      this.worker.addEventListener('message', (e) => this.opts.onMessage(e.data));
      this.worker.addEventListener('error', (e) => this.fail(e));
      this.worker.addEventListener('messageerror', (e) => this.fail(e));
    }
    return this.state === 'ready' ? this.worker : undefined;
  }

  /** It could not start, or has failed. */
  failed(): boolean {
    return this.state === 'failed';
  }

  /** Stops the worker for good (its error, or the client's reason). */
  fail(why: unknown): void {
    if (this.state === 'failed') return;
    // An ErrorEvent says what went wrong in its message.
    const message = typeof why === 'object' && why !== null && 'message' in why ? why.message : why;
    console.error(`${this.opts.tag} worker failed, ${this.opts.without}:`, message);
    this.state = 'failed';
    this.worker?.terminate();
    this.worker = undefined;
    this.opts.onFail();
  }
}
