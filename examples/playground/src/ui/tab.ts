/** A page of the playground: its controls (in the sidebar) and its content, paused while another tab shows. */
export interface Tab {
  readonly id: string;
  readonly title: string;
  readonly controls: HTMLElement;
  readonly content: HTMLElement;
  show(): void;
  hide(): void;
  /** Stops touching arrays (before a backend switch); resolves once any step in flight has finished. */
  pause(): Promise<void>;
  /** Starts over on the backend just selected. */
  restart(): void;
}
