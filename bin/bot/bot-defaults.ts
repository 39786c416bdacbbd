/** Where the bot keeps its store unless told otherwise (shared by the command and its help). */
export const DEFAULT_BOT_DATA = '.data/bot.sqlite';
