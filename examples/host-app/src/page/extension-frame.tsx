import { bootstrapIframe, buildExtUiSrc, type IframeConnection } from '@alga/iframe-sdk';
import { Alert, Spinner } from '@alga/ui-kit';
import { useEffect, useRef, useState } from 'react';
import { type InstallView, TENANT_HEADER } from '../shared';

/** Props of {@link ExtensionFrame}. */
export interface ExtensionFrameProps {
  tenant: string;
  install: InstallView & { uiPath: string };
  uiOrigin: string;
  mode: 'light' | 'dark';
  /** The iframe asked the app to navigate. */
  onNavigate: (to: string) => void;
}

/**
 * The extension's UI in a sandboxed iframe on the UI origin, connected with `bootstrapIframe`.
 * Its proxy calls go to this app's `/api/ext-proxy/...` with the selected tenant as the session;
 * the app adds the tenant's credential on the server.
 */
export function ExtensionFrame({
  tenant,
  install,
  uiOrigin,
  mode,
  onNavigate,
}: ExtensionFrameProps) {
  const holder = useRef<HTMLDivElement>(null);
  const connection = useRef<IframeConnection | undefined>(undefined);
  const modeRef = useRef(mode);
  const navigate = useRef(onNavigate);
  navigate.current = onNavigate;
  const [status, setStatus] = useState<'connecting' | 'ready' | 'failed'>('connecting');
  const [failure, setFailure] = useState('');
  const { extensionId, contentHash, uiPath, displayName } = install;

  useEffect(() => {
    const container = holder.current;
    if (container === null) return;
    setStatus('connecting');
    const iframe = document.createElement('iframe');
    iframe.title = `${displayName} (extension UI)`;
    iframe.className = 'ext-frame';
    container.append(iframe);
    const connected = bootstrapIframe(iframe, {
      extensionId,
      src: buildExtUiSrc({ publicBase: uiOrigin, extensionId, contentHash, path: uiPath }),
      theme: { mode: modeRef.current },
      proxy: { headers: () => ({ [TENANT_HEADER]: tenant }) },
      onNavigate: (to) => navigate.current(to),
    });
    connection.current = connected;
    connected.ready.then(
      () => setStatus('ready'),
      (error: unknown) => {
        setFailure(error instanceof Error ? error.message : String(error));
        setStatus('failed');
      },
    );
    return () => {
      connection.current = undefined;
      connected.destroy();
      iframe.remove();
    };
  }, [tenant, extensionId, contentHash, uiPath, uiOrigin, displayName]);

  useEffect(() => {
    modeRef.current = mode;
    void connection.current?.setTheme({ mode });
  }, [mode]);

  return (
    <div className="ext-frame-holder" ref={holder} data-status={status}>
      {status === 'connecting' ? (
        <Spinner label={`Connecting to ${displayName}`} size="sm" />
      ) : null}
      {status === 'failed' ? (
        <Alert tone="danger" title="The extension UI did not connect">
          {failure}
        </Alert>
      ) : null}
    </div>
  );
}
