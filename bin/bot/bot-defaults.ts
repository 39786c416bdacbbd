/** Where the bot keeps its store unless told otherwise (shared by the command and its help). */
export const DEFAULT_BOT_DATA = '.data/bot.sqlite';

/** Set by `brain-store start` for its child bot: stop cleanly when stdin (a pipe from the parent) closes. */
export const STOP_WITH_STDIN = 'BRAIN_STORE_STOP_WITH_STDIN';
