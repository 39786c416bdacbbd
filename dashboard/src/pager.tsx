/** Previous / "Page 3 of 42" / Next under a long list; hidden when everything fits on one page. */
export function Pager({ page, pages, label, onPage }: { page: number; pages: number; label: string; onPage: (page: number) => void }) {
  if (pages <= 1) return null;
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" class="quiet" disabled={page <= 1} onClick={() => onPage(1)}>
        First
      </button>
      <button type="button" class="quiet" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span aria-current="page">
        Page {page.toLocaleString()} of {pages.toLocaleString()}
      </span>
      <button type="button" class="quiet" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
      <button type="button" class="quiet" disabled={page >= pages} onClick={() => onPage(pages)}>
        Last
      </button>
    </nav>
  );
}
