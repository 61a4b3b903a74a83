"""Text templates of the demo world: English and French (the default world), and
Spanish, Portuguese and German (worlds with `text_languages` set), by topic and
polarity.

Texts are assembled as prefix + topic word + suffix so millions of them are built
by column operations. Several negative templates carry no generic sentiment word
("still not delivered after 3 weeks"), as real complaints often do.
"""

from __future__ import annotations

import numpy as np
import polars as pl

TOPICS = ("product", "quality", "delivery", "price", "support", "ethics")
TEXT_LANGUAGES = ("en", "fr", "es", "pt", "de")

TOPIC_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "product": ("the new blender", "the app", "your coffee machine", "the starter kit"),
        "quality": ("the build quality", "the stitching", "the battery", "the finish"),
        "delivery": ("my delivery", "the parcel", "shipping", "my order"),
        "price": ("the price", "the subscription fee", "the new pricing", "the discount"),
        "support": ("customer support", "your help desk", "the support team", "the hotline"),
        "ethics": ("your sourcing", "the factory conditions", "your packaging waste", "the CEO"),
    },
    "fr": {
        "product": ("le nouveau mixeur", "l'appli", "votre machine à café", "le kit de départ"),
        "quality": ("la finition", "la batterie", "les coutures", "la qualité"),
        "delivery": ("ma livraison", "le colis", "l'expédition", "ma commande"),
        "price": ("le prix", "l'abonnement", "les nouveaux tarifs", "la promo"),
        "support": ("le service client", "le SAV", "l'assistance", "la hotline"),
        "ethics": (
            "votre approvisionnement",
            "les conditions en usine",
            "vos emballages",
            "le PDG",
        ),
    },
    "es": {
        "product": ("la batidora nueva", "la app", "vuestra cafetera", "el kit de inicio"),
        "quality": ("el acabado", "la batería", "las costuras", "la calidad"),
        "delivery": ("mi entrega", "el paquete", "el envío", "mi pedido"),
        "price": ("el precio", "la suscripción", "las nuevas tarifas", "la oferta"),
        "support": ("atención al cliente", "el servicio técnico", "el soporte", "la línea"),
        "ethics": ("vuestros proveedores", "las fábricas", "los embalajes", "el director"),
    },
    "pt": {
        "product": ("o liquidificador novo", "o app", "a cafeteira", "o kit inicial"),
        "quality": ("o acabamento", "a bateria", "a costura", "a qualidade"),
        "delivery": ("minha entrega", "o pacote", "o frete", "meu pedido"),
        "price": ("o preço", "a assinatura", "a nova tabela de preços", "a promoção"),
        "support": ("o atendimento", "o SAC", "o suporte", "a central"),
        "ethics": ("os fornecedores", "as fábricas", "as embalagens", "o presidente"),
    },
    "de": {
        "product": ("der neue Mixer", "die App", "eure Kaffeemaschine", "das Starterset"),
        "quality": ("die Verarbeitung", "der Akku", "die Nähte", "die Qualität"),
        "delivery": ("meine Lieferung", "das Paket", "der Versand", "meine Bestellung"),
        "price": ("der Preis", "das Abo", "die neuen Preise", "der Rabatt"),
        "support": ("der Kundenservice", "die Hotline", "der Support", "das Serviceteam"),
        "ethics": ("eure Lieferkette", "die Fabriken", "die Verpackung", "der Chef"),
    },
}

# (prefix, suffix) around the topic word, by language and polarity (-1, 0, 1)
TEMPLATES: dict[tuple[str, int], tuple[tuple[str, str], ...]] = {
    ("en", 1): (
        ("Love ", "! Great job, thank you"),
        ("Really happy with ", ", excellent 😍"),
        ("", " is amazing, best purchase this year"),
        ("Thanks for ", ", you guys are awesome 👍"),
        ("Impressed by ", ", works perfectly"),
    ),
    ("en", 0): (
        ("Question about ", ": does it come in blue?"),
        ("Any news on ", " for next month?"),
        ("How do I change ", " in my account?"),
        ("Is ", " available in Canada?"),
    ),
    ("en", -1): (
        ("", " is terrible, very disappointed 😡"),
        ("Worst experience ever with ", ", never again"),
        ("", " still not delivered after 3 weeks, order #"),
        ("Third time I write about ", " and nobody answers"),
        ("", " broke after two days. Refund please"),
        ("Not happy at all with ", ", awful"),
    ),
    ("fr", 1): (
        ("J'adore ", ", merci beaucoup !"),
        ("Très contente de ", ", excellent 😍"),
        ("", " est parfait, bravo à l'équipe"),
        ("Super ", ", je recommande 👍"),
    ),
    ("fr", 0): (
        ("Une question sur ", " : existe-t-il en bleu ?"),
        ("Des nouvelles de ", " pour le mois prochain ?"),
        ("Comment modifier ", " dans mon compte ?"),
    ),
    ("fr", -1): (
        ("", " est nul, très déçu 😡"),
        ("Pire expérience avec ", ", plus jamais"),
        ("", " toujours pas arrivé après 3 semaines, commande n°"),
        ("Troisième message sur ", " et toujours aucune réponse"),
        ("", " cassé au bout de deux jours. Je veux être remboursé"),
    ),
    # written as customers write, not from the scorer's lexicons: several carry no
    # generic sentiment word at all, as real complaints and praise often do
    ("es", 1): (
        ("Me encanta ", ", ¡muchas gracias!"),
        ("Muy contenta con ", ", todo perfecto 😍"),
        ("", " funciona de maravilla, lo recomiendo"),
        ("Gracias por ", ", sois geniales 👍"),
    ),
    ("es", 0): (
        ("Una pregunta sobre ", ": ¿hay en azul?"),
        ("¿Alguna novedad sobre ", " para el mes que viene?"),
        ("¿Cómo cambio ", " en mi cuenta?"),
    ),
    ("es", -1): (
        ("", " es un desastre, muy decepcionada 😡"),
        ("La peor experiencia con ", ", nunca más"),
        ("", " sigue sin llegar después de 3 semanas, pedido nº"),
        ("Tercera vez que escribo por ", " y nadie responde"),
        ("", " se rompió a los dos días. Quiero la devolución"),
    ),
    ("pt", 1): (
        ("Adorei ", ", muito obrigada!"),
        ("Muito feliz com ", ", tudo ótimo 😍"),
        ("", " é excelente, recomendo"),
        ("Obrigado por ", ", vocês são demais 👍"),
    ),
    ("pt", 0): (
        ("Uma pergunta sobre ", ": tem na cor azul?"),
        ("Alguma novidade sobre ", " para o mês que vem?"),
        ("Como altero ", " na minha conta?"),
    ),
    ("pt", -1): (
        ("", " é péssimo, estou muito decepcionada 😡"),
        ("Pior experiência com ", ", nunca mais compro"),
        ("", " ainda não chegou depois de 3 semanas, pedido nº"),
        ("Terceira vez que escrevo sobre ", " e ninguém responde"),
        ("", " quebrou em dois dias. Quero meu dinheiro de volta"),
    ),
    ("de", 1): (
        ("Ich liebe ", ", vielen Dank!"),
        ("Sehr zufrieden mit ", ", alles super 😍"),
        ("", " ist großartig, klare Empfehlung"),
        ("Danke für ", ", ihr seid toll 👍"),
    ),
    ("de", 0): (
        ("Eine Frage zu ", ": gibt es das in Blau?"),
        ("Gibt es Neuigkeiten zu ", " für nächsten Monat?"),
        ("Wie ändere ich ", " in meinem Konto?"),
    ),
    ("de", -1): (
        ("", " ist eine Katastrophe, sehr enttäuscht 😡"),
        ("Schlechteste Erfahrung mit ", ", nie wieder"),
        ("", " ist nach 3 Wochen immer noch nicht da, Bestellung Nr. "),
        ("Zum dritten Mal schreibe ich wegen ", " und niemand antwortet"),
        ("", " ist nach zwei Tagen kaputt gegangen. Ich will mein Geld zurück"),
    ),
}

# neutral details people add (no sentiment word, no topic or complaint term): three per
# text, so that organic messages on one topic are not near-duplicates of each other
DETAILS: dict[str, tuple[str, ...]] = {
    "en": (
        "Bought it in March.",
        "Customer since 2019.",
        "Ordered from the website.",
        "Picked it up in town.",
        "It is for my sister.",
        "My husband chose the colour.",
        "We use it in the kitchen.",
        "Got the blue version.",
        "Paid by card.",
        "Living in Leeds.",
        "Second purchase this year.",
        "My neighbour has one too.",
        "Bought two of them.",
        "Used it this morning.",
        "Ordered the large size.",
        "For our second home.",
        "My kids use it daily.",
        "Saw it on TV.",
        "Heard of you from a colleague.",
        "Reference is in my account.",
        "Same as my mother's.",
        "Took the red one.",
        "Bought it for the office.",
        "First time buying from you.",
    ),
    "fr": (
        "Acheté en mars.",
        "Cliente depuis 2019.",
        "Commandé sur le site.",
        "Récupéré en ville.",
        "C'est pour ma sœur.",
        "Couleur bleue.",
        "On s'en sert dans la cuisine.",
        "Pris en bleu.",
        "Payé par carte.",
        "J'habite à Nantes.",
        "Deuxième achat cette année.",
        "Ma voisine a le même.",
        "Commandé en mai.",
        "Utilisé ce matin.",
        "Taille XL.",
        "Pour la maison de vacances.",
        "Les enfants s'en servent le soir.",
        "Vu à la télé.",
        "C'est pour mon frère.",
        "Référence dans mon compte.",
        "Comme celui de ma mère.",
        "J'ai pris le rouge.",
        "Acheté pour le bureau.",
        "J'habite à Lille.",
    ),
    "es": (
        "Lo compré en marzo.",
        "Cliente desde 2019.",
        "Pedido por la web.",
        "Lo recogí en la tienda.",
        "Es para mi hermana.",
        "Pagué con tarjeta.",
        "Vivo en Sevilla.",
        "Segunda compra este año.",
        "Mi vecina tiene uno igual.",
        "Lo usé esta mañana.",
        "Talla grande.",
        "Para la casa de la playa.",
        "Lo vi en la tele.",
        "La referencia está en mi cuenta.",
        "Elegí el rojo.",
        "Comprado para la oficina.",
    ),
    "pt": (
        "Comprei em março.",
        "Cliente desde 2019.",
        "Pedido feito pelo site.",
        "Retirei na loja.",
        "É para minha irmã.",
        "Paguei no cartão.",
        "Moro em Curitiba.",
        "Segunda compra este ano.",
        "Minha vizinha tem um igual.",
        "Usei hoje de manhã.",
        "Tamanho grande.",
        "Para a casa de praia.",
        "Vi na televisão.",
        "A referência está na minha conta.",
        "Escolhi o vermelho.",
        "Comprado para o escritório.",
    ),
    "de": (
        "Im März gekauft.",
        "Kundin seit 2019.",
        "Über die Webseite bestellt.",
        "Im Laden abgeholt.",
        "Ist für meine Schwester.",
        "Mit Karte bezahlt.",
        "Ich wohne in Köln.",
        "Zweiter Kauf dieses Jahr.",
        "Meine Nachbarin hat das gleiche.",
        "Heute Morgen benutzt.",
        "Größe XL.",
        "Für das Ferienhaus.",
        "Im Fernsehen gesehen.",
        "Die Referenz steht in meinem Konto.",
        "Ich habe das rote genommen.",
        "Für das Büro gekauft.",
    ),
}

AMPLIFIED_TEMPLATES = (
    "Boycott this brand! {t} is a scandal #boycott",
    "BOYCOTT NOW: {t} is a scandal. Share! #boycott",
    "Boycott this brand!! {t} is a total scandal #boycott #shame",
)


def build_texts(
    rng: np.random.Generator, lang: np.ndarray, polarity: np.ndarray, topic: np.ndarray
) -> pl.Series:
    """One text per row, from language codes (TEXT_LANGUAGES), polarity (-1/0/1), topic
    index."""
    n = len(lang)
    prefix = np.empty(n, dtype=object)
    suffix = np.empty(n, dtype=object)
    word = np.empty(n, dtype=object)
    for lg in TEXT_LANGUAGES:
        words_by_topic = TOPIC_WORDS[lg]
        for ti, t in enumerate(TOPICS):
            sel = (lang == lg) & (topic == ti)
            k = int(sel.sum())
            if k:
                choices = np.array(words_by_topic[t], dtype=object)
                word[sel] = choices[rng.integers(0, len(choices), k)]
        for pol in (-1, 0, 1):
            sel = (lang == lg) & (polarity == pol)
            k = int(sel.sum())
            if k:
                tpls = TEMPLATES[(lg, pol)]
                pick = rng.integers(0, len(tpls), k)
                prefix[sel] = np.array([p for p, _ in tpls], dtype=object)[pick]
                suffix[sel] = np.array([s for _, s in tpls], dtype=object)[pick]
    order_no = rng.integers(10000, 99999, n).astype(str)
    details = [np.empty(n, dtype=object) for _ in range(3)]
    # drawn from a generator seeded by (not advancing) the caller's state, so adding
    # details left every other draw of the world, and so its planted figures, unchanged
    detail_rng = np.random.default_rng(rng.bit_generator.state["state"]["state"])
    for lg in TEXT_LANGUAGES:
        sel = lang == lg
        k = int(sel.sum())
        if k:
            pool = np.array(DETAILS[lg], dtype=object)
            # three different details: a random start, then two distinct offsets
            first = detail_rng.integers(0, len(pool), k)
            step = detail_rng.integers(1, len(pool) // 2, k)
            for j, detail in enumerate(details):
                detail[sel] = pool[(first + j * step) % len(pool)]
    frame = pl.DataFrame(
        {
            "p": prefix.astype(str),
            "w": word.astype(str),
            "s": suffix.astype(str),
            "o": order_no,
            "d1": details[0].astype(str),
            "d2": details[1].astype(str),
            "d3": details[2].astype(str),
        }
    )
    text = pl.concat_str(["p", "w", "s"])
    # complaints ending in "order #" get a number, as real ones do
    text = (
        pl.when(
            pl.col("s").str.ends_with("#")
            | pl.col("s").str.ends_with("n°")
            | pl.col("s").str.ends_with("nº")
            | pl.col("s").str.ends_with("Nr. ")
        )
        .then(pl.concat_str([text, pl.col("o")]))
        .otherwise(text)
    )
    text = pl.concat_str([text, pl.col("d1"), pl.col("d2"), pl.col("d3")], separator=" ")
    out = frame.select(text.alias("text"))["text"]
    # capitalise the first letter where the template starts with the topic word
    return out.str.slice(0, 1).str.to_uppercase() + out.str.slice(1)


def build_amplified_texts(rng: np.random.Generator, n: int) -> pl.Series:
    tpl = np.array(AMPLIFIED_TEMPLATES, dtype=object)[rng.integers(0, len(AMPLIFIED_TEMPLATES), n)]
    words = np.array(TOPIC_WORDS["en"]["ethics"], dtype=object)[rng.integers(0, 2, n)]
    noise = np.array(["", "!", " !!", " 😡", " pls RT", ""], dtype=object)[rng.integers(0, 6, n)]
    frame = pl.DataFrame({"tpl": tpl.astype(str), "w": words.astype(str), "z": noise.astype(str)})
    parts = pl.col("tpl").str.split("{t}")
    return frame.select(
        pl.concat_str([parts.list.get(0), pl.col("w"), parts.list.get(1), pl.col("z")]).alias("t")
    )["t"]
