"""Closed vocabularies of the domain (docs/domain.md). Channels are open: plugins add them."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    unverified = "unverified"
    verified = "verified"
    dispatched = "dispatched"
    in_progress = "in_progress"
    postponed = "postponed"
    resolved = "resolved"
    rejected = "rejected"
    archived = "archived"


class RaporBucket(StrEnum):
    unverified = "belum_terverifikasi"
    not_followed_up = "belum_ditindaklanjuti"
    in_progress = "proses"
    postponed = "tertunda"
    resolved = "selesai"
    excluded = "dikecualikan"


RAPOR_BUCKET: dict[Status, RaporBucket] = {
    Status.unverified: RaporBucket.unverified,
    Status.verified: RaporBucket.not_followed_up,
    Status.dispatched: RaporBucket.not_followed_up,
    Status.in_progress: RaporBucket.in_progress,
    Status.postponed: RaporBucket.postponed,
    Status.resolved: RaporBucket.resolved,
    Status.rejected: RaporBucket.excluded,
    Status.archived: RaporBucket.excluded,
}

OPEN_STATUSES = (Status.unverified, Status.verified, Status.dispatched, Status.in_progress, Status.postponed)
AWAITING_RESPONSE = (Status.unverified, Status.verified, Status.dispatched)

STATUS_LABEL_ID = {
    Status.unverified: "Belum diverifikasi",
    Status.verified: "Terverifikasi",
    Status.dispatched: "Didisposisikan",
    Status.in_progress: "Ditindaklanjuti",
    Status.postponed: "Ditunda",
    Status.resolved: "Selesai",
    Status.rejected: "Ditolak",
    Status.archived: "Diarsipkan",
}


class Classification(StrEnum):
    pengaduan = "pengaduan"
    aspirasi = "aspirasi"
    permintaan_informasi = "permintaan_informasi"
    # A social comment or message that may or may not be a complaint: the triage desk decides (it becomes a
    # pengaduan on verify/dispatch, or is rejected as tidak substantif).
    kandidat = "kandidat"


class EventKind(StrEnum):
    created = "created"
    status = "status"
    updated = "updated"
    message_in = "message_in"  # reporter -> pemda
    message_out = "message_out"  # pemda/OPD -> reporter (tindak lanjut)
    note = "note"
    escalation = "escalation"
    reminder = "reminder"


class Role(StrEnum):
    viewer = "viewer"
    analyst = "analyst"
    opd_admin = "opd_admin"
    admin = "admin"
    petugas = "petugas"


class OpdKind(StrEnum):
    setda = "setda"
    dinas = "dinas"
    badan = "badan"
    kecamatan = "kecamatan"
    rsud = "rsud"
    bagian = "bagian"
    setwan = "setwan"
    kantor = "kantor"
    lainnya = "lainnya"


class RawState(StrEnum):
    pending = "pending"
    normalised = "normalised"
    failed = "failed"
    skipped = "skipped"  # landed but not a complaint (e.g. 112 prank call, WhatsApp status)


class NotificationStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    read = "read"
    failed = "failed"
