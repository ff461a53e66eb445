# Avisos a víctimas, en palabras sencillas. Breves y amables.
# Puede leerlos otra persona: nunca nombrar a un agresor, un lugar o un delito;
# nunca decir "trata".
# Variables: $specialist (a quién llamar), $when (fecha y hora).

notice-subject = Un mensaje para usted
notice-investigation_status = Hay novedades sobre su asunto. Llame a {$specialist} cuando pueda hablar con seguridad.
notice-arrest = Hay una noticia importante: una persona fue arrestada. Llame a {$specialist} cuando pueda hablar con seguridad.
notice-charges = Hay novedades: se presentaron cargos. Llame a {$specialist} cuando pueda hablar con seguridad.
notice-proceeding_scheduled = Hay una fecha de corte el {$when}. Usted puede asistir. Llame a {$specialist} para hablar de ello.
notice-release_or_detention = Hay novedades sobre si una persona sigue detenida o fue liberada. Llame pronto a {$specialist}.
notice-plea_or_verdict = Hay novedades del tribunal. Llame a {$specialist} cuando pueda hablar con seguridad.
notice-sentence = Hay novedades sobre una sentencia. Llame a {$specialist} cuando pueda hablar con seguridad.
notice-appointment = Tiene una cita el {$when}. {$specialist} estará con usted. Llame si necesita cambiarla.
notice-referral_update = Hay novedades sobre la ayuda que pidió. Llame a {$specialist}.
notice-call_specialist = Llame a {$specialist} cuando pueda hablar con seguridad.
notice-footer-sms = Responda ALTO para no recibir más mensajes.
notice-footer-email = Si no quiere recibir estos mensajes, dígaselo a {$specialist}.
