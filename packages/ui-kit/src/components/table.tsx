import { type ReactNode, useMemo, useState } from 'react';
import {
  Table as AriaTable,
  Cell,
  Column,
  Row,
  type SortDescriptor,
  TableBody,
  TableHeader,
} from 'react-aria-components';
import { cx } from '../internal/cx';

/** Sort state of a {@link Table}. */
export interface TableSort {
  /** The sorted column's key. */
  column: string;
  /** Direction. */
  direction: 'ascending' | 'descending';
}

/** One column of a {@link Table}. */
export interface TableColumn<Row> {
  /** Property of the row shown in this column (and the column id). */
  key: string;
  /** Header text. */
  title: string;
  /** Let users sort by this column. */
  sortable?: boolean;
  /** The column that names the row for screen readers (default: the first column). */
  isRowHeader?: boolean;
  /** Right-align numbers. */
  align?: 'start' | 'end';
  /** Custom cell content (default: the value as text). */
  render?: (row: Row) => ReactNode;
  /** Value to sort by (default: the row's property). */
  sortValue?: (row: Row) => string | number;
}

/** Props of {@link Table}. */
export interface TableProps<Row extends object> {
  /** Accessible name of the table. */
  label: string;
  /** The columns, in order. */
  columns: readonly TableColumn<Row>[];
  /** The rows (sorted here by the current sort). */
  rows: readonly Row[];
  /** A stable key per row. */
  rowKey: (row: Row) => string;
  /** Sort state (controlled). */
  sort?: TableSort;
  /** Initial sort (uncontrolled). */
  defaultSort?: TableSort;
  /** Called when the user sorts by a column. */
  onSortChange?: (sort: TableSort) => void;
  /** Shown when there are no rows. */
  emptyState?: ReactNode;
  /** Extra class names. */
  className?: string;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return collator.compare(String(a ?? ''), String(b ?? ''));
}

/**
 * A data table (React Aria `Table`, WAI-ARIA grid): arrow-key navigation between cells,
 * sortable columns announced with `aria-sort`, sorting done here.
 *
 * @example
 * ```tsx
 * <Table label="Tickets" rows={tickets} rowKey={(t) => t.id} defaultSort={{ column: 'id', direction: 'ascending' }}
 *   columns={[{ key: 'id', title: 'ID', sortable: true }, { key: 'title', title: 'Title', sortable: true }]} />
 * ```
 */
export function Table<Row extends object>({
  label,
  columns,
  rows,
  rowKey,
  sort,
  defaultSort,
  onSortChange,
  emptyState,
  className,
}: TableProps<Row>) {
  const [ownSort, setOwnSort] = useState<TableSort | undefined>(defaultSort);
  const current = sort ?? ownSort;
  const hasRowHeader = columns.some((column) => column.isRowHeader);
  const sorted = useMemo(() => {
    if (!current) return rows;
    const column = columns.find((c) => c.key === current.column);
    if (!column) return rows;
    const value = column.sortValue ?? ((row: Row) => (row as Record<string, unknown>)[column.key]);
    const factor = current.direction === 'descending' ? -1 : 1;
    return [...rows].sort((a, b) => factor * compare(value(a), value(b)));
  }, [rows, columns, current]);
  const onSort = (descriptor: SortDescriptor) => {
    const next: TableSort = { column: String(descriptor.column), direction: descriptor.direction };
    if (sort === undefined) setOwnSort(next);
    onSortChange?.(next);
  };
  return (
    <div className={cx('alga-table-wrap', className)}>
      <AriaTable
        aria-label={label}
        className="alga-table"
        onSortChange={onSort}
        {...(current ? { sortDescriptor: current } : {})}
      >
        <TableHeader className="alga-table-header">
          {columns.map((column, index) => (
            <Column
              key={column.key}
              id={column.key}
              isRowHeader={column.isRowHeader ?? (!hasRowHeader && index === 0)}
              allowsSorting={column.sortable ?? false}
              className="alga-column"
              data-align={column.align ?? 'start'}
            >
              {({ allowsSorting, sortDirection }) => (
                <span className="alga-column-title">
                  {column.title}
                  {allowsSorting ? (
                    <span aria-hidden="true" className="alga-sort-indicator">
                      {sortDirection === 'ascending'
                        ? '▲'
                        : sortDirection === 'descending'
                          ? '▼'
                          : '↕'}
                    </span>
                  ) : null}
                </span>
              )}
            </Column>
          ))}
        </TableHeader>
        <TableBody
          className="alga-table-body"
          renderEmptyState={() => <div className="alga-table-empty">{emptyState ?? 'No rows'}</div>}
        >
          {sorted.map((row) => (
            <Row key={rowKey(row)} id={rowKey(row)} className="alga-row">
              {columns.map((column) => (
                <Cell key={column.key} className="alga-cell" data-align={column.align ?? 'start'}>
                  {column.render
                    ? column.render(row)
                    : String((row as Record<string, unknown>)[column.key] ?? '')}
                </Cell>
              ))}
            </Row>
          ))}
        </TableBody>
      </AriaTable>
    </div>
  );
}
