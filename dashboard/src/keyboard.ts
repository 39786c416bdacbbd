/** The page's keyboard shortcuts, in the order the help overlay lists them. */
export const SHORTCUTS: readonly { keys: string; what: string }[] = [
  { keys: 'j / k', what: 'Next / previous action (pages on at the ends)' },
  { keys: 'e', what: 'Done: the current action' },
  { keys: 'd', what: 'Dismiss the current action' },
  { keys: 's', what: 'Snooze the current action for an hour' },
  { keys: 'z', what: 'Undo the last Done, Dismiss or Snooze (within a few seconds)' },
  { keys: '/', what: 'Search the queue' },
  { keys: 'Esc', what: 'Leave the search box, close this help' },
  { keys: '?', what: 'Show or hide this help' },
];

/** Keys typed into a field are text, not shortcuts. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  );
}
