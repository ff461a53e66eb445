# Notices to victims, in plain words. Translators: keep them short and kind.
# They may be read by someone else on the person's phone: never name an
# offender, a place or a crime; never say "trafficking".
# Variables: $specialist (the name of the person to call), $when (a date and time).

notice-subject = A message for you
notice-investigation_status = There is an update about your matter. Please call {$specialist} when it is safe to talk.
notice-arrest = There is important news: someone was arrested. Please call {$specialist} when it is safe to talk.
notice-charges = There is news: charges were filed. Please call {$specialist} when it is safe to talk.
notice-proceeding_scheduled = A court date is set for {$when}. You may attend. Please call {$specialist} to talk about it.
notice-release_or_detention = There is news about whether a person is held or released. Please call {$specialist} soon.
notice-plea_or_verdict = There is news from the court. Please call {$specialist} when it is safe to talk.
notice-sentence = There is news about a sentence. Please call {$specialist} when it is safe to talk.
notice-appointment = You have an appointment on {$when}. {$specialist} will be with you. Call if you need to change it.
notice-referral_update = There is news about help you asked for. Please call {$specialist}.
notice-call_specialist = Please call {$specialist} when it is safe to talk.
notice-footer-sms = Reply STOP to stop these messages.
notice-footer-email = If you do not want these messages, tell {$specialist}.
