#!/usr/bin/env python3
"""layout-trees.py KIND DIR: build one export of the layouts issue 15 adds
(tests/mem-scan-layouts.bats), with real media of distinct bytes
(memoria-trees.py's media()) and one distinct time per file, so that a test
sees which metadata went to which file. The shapes are the facts of
memoria's docs and preprocessors (metadata.json of its Discord and iMessage
processors), Google's and Snapchat's exports. Kinds: see TREES below."""
import importlib.util, json, os, sys

spec = importlib.util.spec_from_file_location(
    "memoria_trees", os.path.join(os.path.dirname(os.path.abspath(__file__)), "memoria-trees.py"))
mt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mt)
media, wj, wt = mt.media, mt.wj, mt.wt


def utime(path, when):
    os.utime(path, (when, when))


def discord_pre(d):
    """memoria's processors/discord/preprocess.py output: export_info with
    the download counts, conversations by channel id, media_files[]."""
    wj(f"{d}/metadata.json", {
        "export_info": {"export_path": "/x/discord-gamer-20240106", "export_username": "gamer",
                        "processed_date": "2024-01-07T10:00:00", "export_name": "discord-gamer-20240106",
                        "total_channels": 2, "total_attachments": 3,
                        "downloads_successful": 3, "downloads_failed": 0},
        "conversations": {
            "111": {"type": "dm", "title": "Direct Message with bob#0", "guild_name": None,
                    "message_count": 1, "messages": [
                        {"id": 901, "timestamp": "2023-02-01 10:00:01 UTC", "content": "look",
                         "original_urls": ["https://cdn.discordapp.com/attachments/111/1/cat.jpg"],
                         "media_files": ["901_cat.jpg"]}]},
            "222": {"type": "server", "title": "general in Test Server", "guild_name": "Test Server",
                    "message_count": 1, "messages": [
                        {"id": 902, "timestamp": "2023-02-02 11:00:02 UTC", "content": "two clips",
                         "original_urls": ["https://cdn.discordapp.com/attachments/222/2/a.mp4",
                                           "https://cdn.discordapp.com/attachments/222/3/b.png"],
                         "media_files": ["902_a.mp4", "902_b.png", "902_gone.jpg"]}]}},
        "orphaned_media": []})
    media(f"{d}/media/901_cat.jpg")
    media(f"{d}/media/902_a.mp4")
    media(f"{d}/media/902_b.png")
    media(f"{d}/media/stray.jpg")
    utime(f"{d}/media/stray.jpg", 1675000003)


def imessage_pre(d):
    """memoria's processors/imessage/preprocess.py output: export_paths
    naming the Messages folder, a single message and a merged one."""
    wj(f"{d}/metadata.json", {
        "export_info": {"export_path": "/x/mac-messages-20240107",
                        "export_paths": ["/x/mac-messages-20240107"],
                        "export_username": "unknown", "processed_date": "2024-01-08 09:00:00 UTC",
                        "contacts_loaded": 1},
        "conversations": {
            "+15551234567": {"type": "dm", "title": "Ann Example", "message_count": 2, "messages": [
                {"source_export": "mac-messages-20240107", "conversation_id": "+15551234567",
                 "conversation_type": "dm", "conversation_title": "Ann Example", "sender": "Ann Example",
                 "created": "2023-03-01 08:00:01 UTC", "content": "hello", "is_sender": False,
                 "media_file": "IMG_0001.jpg", "media_type": "IMAGE"},
                {"media_file": "IMG_0002.jpg", "primary_created": "2023-03-02 08:00:02 UTC",
                 "is_duplicate": True, "media_type": "IMAGE", "messages": [
                     {"source_export": "mac-messages-20240107", "conversation_id": "+15551234567",
                      "conversation_type": "dm", "conversation_title": "Ann Example", "sender": "me",
                      "created": "2023-03-02 08:00:02 UTC", "content": "again", "is_sender": True},
                     {"source_export": "mac-messages-20240107", "conversation_id": "chat99",
                      "conversation_type": "group", "conversation_title": "Family",
                      "sender": "Ann Example", "created": "2023-03-05 08:00:05 UTC", "content": "",
                      "is_sender": False}]}]}},
        "orphaned_media": []})
    media(f"{d}/media/IMG_0001.jpg")
    media(f"{d}/media/IMG_0002.jpg")


def igmsg_iso(d):
    """memoria's Instagram messages fixture: one box, each message a sender
    div (_3-95 _a6-o), a text div, an ISO time div (_3-94 _a6-o)."""
    c = f"{d}/your_instagram_activity/messages/inbox/otheruser_123456"
    wt(f"{c}/message_1.html", '<!DOCTYPE html><html><head><title>Other User</title></head><body>'
       '<div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder">'
       '<div class="_a6-p"><div class="_3-95 _a6-o">Other User</div>'
       '<div class="_a6-p">Hello!<a href="photos/one.jpg">x</a></div>'
       '<div class="_3-94 _a6-o">2021-01-01T12:00:01</div></div>'
       '<div class="_a6-p"><div class="_3-95 _a6-o">ig_me</div>'
       '<div class="_a6-p">Back<a href="photos/two.jpg">y</a></div>'
       '<div class="_3-94 _a6-o">2021-01-02T13:00:02</div></div>'
       '</div></body></html>')
    media(f"{c}/photos/one.jpg")
    media(f"{c}/photos/two.jpg")


def igmsg_real(d):
    """Instagram's own message page: one box a message, the sender in an
    h2 (_2pim), the time in "_3-94 _a6-o", the link from the export root."""
    rel = "your_instagram_activity/messages/inbox/zoe_42"
    wt(f"{d}/{rel}/message_1.html", '<html><head><title>Zoe</title></head><body>'
       '<div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder">'
       '<h2 class="_3-95 _2pim _a6-h _a6-i">Zoe</h2><div class="_3-95 _a6-p"><div>'
       f'<a target="_blank" href="{rel}/photos/10.jpg"><img src="{rel}/photos/10.jpg"></a>'
       '</div></div><div class="_3-94 _a6-o">Mar 03, 2022 9:15 am</div></div>'
       '<div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder">'
       '<h2 class="_3-95 _2pim _a6-h _a6-i">ig_me</h2><div class="_3-95 _a6-p"><div>'
       f'<a target="_blank" href="{rel}/photos/11.jpg">x</a>'
       '</div></div><div class="_3-94 _a6-o">Mar 04, 2022 10:16 pm</div></div>'
       '</body></html>')
    media(f"{d}/{rel}/photos/10.jpg")
    media(f"{d}/{rel}/photos/11.jpg")


def gvoice_name(d):
    """A Voice page whose messages carry no parseable time (memoria's
    fixture: div.sender, div.text, div.time "12:01 PM"): the page's name
    holds the only time."""
    root = f"{d}/Takeout/Voice/Calls"
    wt(f"{root}/+15550001111 - Text - 2023-01-15T08_30_45Z.html",
       '<!DOCTYPE html><html><head><title>Text with +15550001111</title></head><body>'
       '<div class="message"><div class="sender">+15550001111</div><div class="text">Hi!</div>'
       '<div class="time">8:30 AM</div><img src="pic.jpg"></div></body></html>')
    media(f"{root}/pic.jpg")


def gchat_users(d):
    """Google Chat with a DM under Users/<name>/messages.json (memoria's
    generator), a group under Groups/, and the user's user_info.json."""
    g = f"{d}/Takeout/Google Chat/Groups/Space AAA"
    wj(f"{g}/group_info.json", {"name": "Hikers", "members": [{"name": "Me Myself", "email": "me@gmail.com"},
                                                           {"name": "Ann Example", "email": "ann@example.com"}]})
    wj(f"{g}/messages.json", {"messages": [{"creator": {"name": "Ann Example", "email": "ann@example.com"},
        "created_date": "Sunday, January 1, 2023 at 10:00:01 AM UTC", "text": "top",
        "attached_files": [{"export_name": "summit.jpg"}]}]})
    media(f"{g}/summit.jpg")
    wj(f"{d}/Takeout/Google Chat/Users/User 1/user_info.json", {"user": {"name": "Me Myself", "email": "me@gmail.com"}})
    u = f"{d}/Takeout/Google Chat/Users/Bob Jones"
    wj(f"{u}/messages.json", {"messages": [
        {"creator": {"name": "Bob Jones", "email": "bob@example.com"},
         "created_date": "2023-01-02T12:00:02Z", "text": "Hi there",
         "attached_files": [{"export_name": "dog.jpg"}]},
        {"creator": {"name": "Me Myself", "email": "me@gmail.com"},
         "created_date": "2023-01-03T12:00:03Z", "text": "no file", "attached_files": []}]})
    media(f"{u}/dog.jpg")


def gchat_users_only(d, files=True):
    """Users/<name>/messages.json only, with or without an attachment."""
    u = f"{d}/Google Chat/Users/Bob Jones"
    wj(f"{u}/messages.json", {"messages": [
        {"creator": {"name": "Bob Jones"}, "created_date": "2023-01-02T12:00:02Z", "text": "Hi",
         "attached_files": [{"export_name": "dog.jpg"}] if files else []}]})
    if files:
        media(f"{u}/dog.jpg")
    else:
        os.makedirs(f"{d}/Google Chat/Groups", exist_ok=True)


def snapmsg_jsonmedia(d):
    """Snapchat messages whose chat_media/ sits inside json/ (memoria's
    docs): one file by its Media ID, one by its mtime."""
    wj(f"{d}/json/chat_history.json", {"ann": [
        {"From": "ann", "Media Type": "MEDIA", "Created": "2023-04-01 10:00:01 UTC", "Content": "",
         "Conversation Title": None, "IsSender": False, "Created(microseconds)": 1680343201000,
         "Media IDs": "b~IDONE"},
        {"From": "ann", "Media Type": "MEDIA", "Created": "2023-04-02 11:00:02 UTC", "Content": "clip",
         "Conversation Title": None, "IsSender": False, "Created(microseconds)": 1680433202000,
         "Media IDs": ""}]})
    media(f"{d}/json/chat_media/2023-04-01_b~IDONE.jpg")
    media(f"{d}/json/chat_media/2023-04-02_00112233445566778899aabbccddeeff.mp4")
    utime(f"{d}/json/chat_media/2023-04-01_b~IDONE.jpg", 1680343201)
    utime(f"{d}/json/chat_media/2023-04-02_00112233445566778899aabbccddeeff.mp4", 1680433202)


def snap2026(d, shift=0, busy=True):
    """Snapchat's 2026 export unpacked: the first ZIP part holds json/ and
    memories/, the second part only memories/; the JSON's links are empty.
    Each file's mtime is its memory's Date (as the ZIP's 2 s DOS time:
    rounded down to even seconds), plus shift (an unzipping clock ahead of
    UTC). The file names' ids (UUIDs) sort against the Dates, so that "the
    first unused file of the day" would give each the other's time."""
    p1, p2 = f"{d}/mydata~1717000000", f"{d}/mydata~1717000000-2"
    mems = [  # Date, type, location, file (part, name), overlay
        ("2024-05-01 10:00:01 UTC", "Image", "48.8566, 2.3522", p1, "2024-05-01_F0000000-0000-4000-8000-000000000001-main.jpg", True),
        ("2024-05-01 10:20:05 UTC", "Image", "51.5072, -0.1276", p2, "2024-05-01_A0000000-0000-4000-8000-000000000002-main.jpg", False),
        ("2024-05-01 11:30:09 UTC", "Video", "40.7128, -74.006", p2, "2024-05-01_B0000000-0000-4000-8000-000000000003-main.mp4", True),
        ("2024-05-02 23:59:59 UTC", "Image", "35.6764, 139.65", p1, "2024-05-02_C0000000-0000-4000-8000-000000000004-main.jpg", False),
    ]
    if busy:  # two memories in one second, at two places: only ambiguity
        mems += [
            ("2024-05-03 09:00:01 UTC", "Image", "41.9028, 12.4964", p1, "2024-05-03_D0000000-0000-4000-8000-000000000005-main.jpg", False),
            ("2024-05-03 09:00:01 UTC", "Image", "52.52, 13.405", p2, "2024-05-03_E0000000-0000-4000-8000-000000000006-main.jpg", False),
            # two at one second and one place: either way the same records
            ("2024-05-04 07:00:03 UTC", "Image", "45.4642, 9.19", p1, "2024-05-04_10000000-0000-4000-8000-000000000007-main.jpg", False),
            ("2024-05-04 07:00:03 UTC", "Image", "45.4642, 9.19", p2, "2024-05-04_20000000-0000-4000-8000-000000000008-main.jpg", False),
        ]
    saved = []
    for date, typ, loc, part, name, ov in mems:
        t = int(__import__("calendar").timegm(__import__("time").strptime(date, "%Y-%m-%d %H:%M:%S UTC")))
        f = f"{part}/memories/{name}"
        media(f)
        utime(f, t - t % 2 + shift)
        if ov:
            o = f.replace("-main." + name.rsplit(".", 1)[1], "-overlay.png")
            media(o)
            utime(o, t - t % 2 + shift)
        saved.append({"Date": date, "Media Type": typ, "Location": "Latitude, Longitude: " + loc,
                      "Download Link": "", "Media Download Url": ""})
    saved.reverse()  # Snapchat lists the newest first
    wj(f"{p1}/json/memories_history.json", {"Saved Media": saved})


TREES = {
    "discord-pre": discord_pre,
    "imessage-pre": imessage_pre,
    "igmsg-iso": igmsg_iso,
    "igmsg-real": igmsg_real,
    "gvoice-name": gvoice_name,
    "gchat-users": gchat_users,
    "gchat-users-only": gchat_users_only,
    "gchat-users-nofiles": lambda d: gchat_users_only(d, files=False),
    "snapmsg-jsonmedia": snapmsg_jsonmedia,
    "snap2026": snap2026,
    "snap2026-shifted": lambda d: snap2026(d, shift=7200, busy=False),
}

if __name__ == "__main__":
    TREES[sys.argv[1]](sys.argv[2])
