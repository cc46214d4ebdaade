import type { Sql } from '@fleet/db';
import type { CallSummary } from '@fleet/call-model';
import type { EffectSink } from '../plugins/call-processor.ts';
import type { CardStage } from '@fleet/telegram-render';
import { markCallbacks, missedKeyOf } from './callbacks.ts';
import { stageOf, STAGE_RANK } from './plan.ts';

/**
 * The call processor's sink for Telegram: in the processing transaction, each call's latest effect of
 * the batch becomes the wanted stage of its card in every active recipient chat. A card only moves
 * forward (greeting → ringing → talking → final) and a final card is never touched again, so a late
 * event cannot turn a finished call back into a live one. A greeting waits `greetingDelayMs` for a
 * dial (the predecessor slept 3 s inside its per-chat loop instead; here it is a time on the row).
 */
export function createTelegramSink(opts: {
  greetingDelayMs: number;
  /** Told of each call's wanted stage (in the transaction, so only a hint: it may still roll back). */
  onStage?: (enterprise: string, callId: string, stage: CardStage) => void;
}): EffectSink {
  return async (tx: Sql, enterprise, effects) => {
    const [has] = await tx`
      select 1 from telegram_bots b join telegram_recipients r on r.enterprise = b.enterprise and r.active
      where b.enterprise = ${enterprise} limit 1`;
    if (!has) return false; // no chat to tell: the card worker need not look
    const latest = new Map<string, { call: CallSummary; stage: ReturnType<typeof stageOf> }>();
    // Calls with an event read back from the host's post log: their final says so (sticky, below).
    const recovered = new Set<string>();
    for (const { effect, origin } of effects) {
      const stage = stageOf(effect);
      const prev = latest.get(effect.call.callId);
      if (!prev || STAGE_RANK[stage] >= STAGE_RANK[prev.stage])
        latest.set(effect.call.callId, { call: effect.call, stage });
      if (origin === 'recovered') recovered.add(effect.call.callId);
    }
    for (const { call, stage } of latest.values()) {
      const rec = recovered.has(call.callId);
      const delay = stage === 'greeting' ? opts.greetingDelayMs : 0;
      await tx`
        insert into telegram_cards (enterprise, call_id, chat_id, stage, call, not_before, recovered, missed_key)
        select ${enterprise}, ${call.callId}, r.chat_id, ${stage}, ${tx.json((rec ? { ...call, recovered: true } : call) as never)},
               now() + make_interval(secs => ${delay / 1000}), ${rec}, ${missedKeyOf(stage, call)}
        from telegram_recipients r where r.enterprise = ${enterprise} and r.active
        on conflict (enterprise, call_id, chat_id) do update set
          stage = excluded.stage, version = telegram_cards.version + 1,
          call = case when telegram_cards.recovered then excluded.call || '{"recovered": true}' else excluded.call end,
          recovered = telegram_cards.recovered or excluded.recovered, missed_key = excluded.missed_key,
          not_before = excluded.not_before, status = 'pending', updated_at = now(),
          queued_at = case when telegram_cards.status = 'pending' then telegram_cards.queued_at else now() end
        where telegram_cards.stage <> 'final'
          and ${STAGE_RANK[stage]} >= case telegram_cards.stage
                when 'greeting' then 0 when 'ringing' then 1 when 'talking' then 2 else 3 end`;
      opts.onStage?.(enterprise, call.callId, stage);
    }
    // After the batch's own cards, so a missed final written by this very batch is found too.
    await markCallbacks(
      tx,
      enterprise,
      [...latest.values()].map((l) => l.call),
    );
    return true;
  };
}
