import type { Key, ReactNode } from 'react';
import { Tabs as AriaTabs, Tab, TabList, TabPanel } from 'react-aria-components';
import { cx } from '../internal/cx';

/** One tab of {@link Tabs}. */
export interface TabItem {
  /** Stable id, reported by `onSelectionChange`. */
  id: string;
  /** The tab's label. */
  title: ReactNode;
  /** The panel shown when the tab is selected. */
  content: ReactNode;
}

/** Props of {@link Tabs}. */
export interface TabsProps {
  /** Accessible name of the tab list. */
  label: string;
  /** The tabs, in order. */
  items: readonly TabItem[];
  /** Selected tab id (controlled). */
  selectedKey?: string;
  /** Initially selected tab id (uncontrolled). */
  defaultSelectedKey?: string;
  /** Called with the newly selected tab id. */
  onSelectionChange?: (id: string) => void;
  /** Extra class names. */
  className?: string;
}

/** Tabs (WAI-ARIA tabs pattern): arrow keys move between tabs, Home/End jump. */
export function Tabs({
  label,
  items,
  selectedKey,
  defaultSelectedKey,
  onSelectionChange,
  className,
}: TabsProps) {
  return (
    <AriaTabs
      className={cx('alga-tabs', className)}
      {...(selectedKey !== undefined ? { selectedKey } : {})}
      {...(defaultSelectedKey !== undefined ? { defaultSelectedKey } : {})}
      {...(onSelectionChange
        ? { onSelectionChange: (key: Key) => onSelectionChange(String(key)) }
        : {})}
    >
      <TabList aria-label={label} className="alga-tab-list">
        {items.map((item) => (
          <Tab key={item.id} id={item.id} className="alga-tab">
            {item.title}
          </Tab>
        ))}
      </TabList>
      {items.map((item) => (
        <TabPanel key={item.id} id={item.id} className="alga-tab-panel">
          {item.content}
        </TabPanel>
      ))}
    </AriaTabs>
  );
}
