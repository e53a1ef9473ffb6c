import * as React from "react";
import { Dropdown } from "azure-devops-ui/Dropdown";
import type { IListBoxItem } from "azure-devops-ui/ListBox";
import { DropdownSelection } from "azure-devops-ui/Utilities/DropdownSelection";

export interface PickerItem {
  id: string;
  text: string;
  secondaryText?: string;
}

/** A controlled single-choice azure-devops-ui Dropdown (its selection object follows `value`). */
export function Picker(props: {
  label: string;
  items: PickerItem[];
  value: string | null | undefined;
  onChange: (id: string) => void;
  disabled?: boolean;
  placeholder?: string;
  className?: string;
  width?: number;
}) {
  const selection = React.useMemo(() => new DropdownSelection(), []);
  const index = props.items.findIndex((i) => i.id === props.value);
  React.useEffect(() => {
    if (index >= 0) selection.select(index);
    else selection.clear();
  }, [index, props.items, selection]);
  const items: IListBoxItem[] = props.items.map((i) => ({ id: i.id, text: i.text, secondaryText: i.secondaryText }));
  return (
    <Dropdown
      ariaLabel={props.label}
      className={props.className}
      items={items}
      selection={selection}
      placeholder={props.placeholder ?? "Select…"}
      disabled={props.disabled}
      width={props.width}
      onSelect={(_e, item) => props.onChange(item.id)}
    />
  );
}
