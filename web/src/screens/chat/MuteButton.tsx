// Mute a chat for me: no pushes and no desktop notifications from it.
import { unwrap } from '@artel/client';
import { api } from '../../app/session';
import { rememberMute, useMuted } from '../../app/notify';
import { useI18n } from '@artel/client/i18n';
import { errorMessage } from '../../ui/errors';
import { toast } from '../../ui/Toast';

export function MuteButton({ chatId }: { chatId: string }) {
  const t = useI18n();
  const muted = useMuted(chatId);
  const toggle = async () => {
    try {
      await unwrap(api.http.PUT('/chats/{id}/mute', { params: { path: { id: chatId } }, body: { muted: !muted } }));
      rememberMute(chatId, !muted);
      toast.show(t.t(muted ? 'mute.off' : 'mute.on'));
    } catch (err) {
      toast.show(errorMessage(err, t));
    }
  };
  return (
    <button type="button" className="btn" onClick={() => void toggle()}>
      {t.t(muted ? 'mute.unmute' : 'mute.mute')}
    </button>
  );
}
