/**
 * A labelled select in a section head: the queue's urgency and sort, the history's status
 * and the insights' period. `any` adds a first option with the empty value ("no filter").
 */
export function FilterSelect<T extends string>({
  label,
  value,
  values,
  name,
  any,
  onChange,
}: {
  label: string;
  value: string;
  values: readonly T[];
  name: (value: T) => string;
  any?: string;
  onChange: (value: T | '') => void;
}) {
  return (
    <label class="filter">
      <span>{label}</span>
      <select value={value} onChange={(event) => onChange(event.currentTarget.value as T | '')}>
        {any !== undefined && <option value="">{any}</option>}
        {values.map((option) => (
          <option key={option} value={option}>
            {name(option)}
          </option>
        ))}
      </select>
    </label>
  );
}
