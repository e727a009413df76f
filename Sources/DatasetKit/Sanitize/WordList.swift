/// The plain English words `text` writes, ASCII only. Changing the list changes outputs:
/// bump `SanitizeRules.algorithmVersion` with it.
enum WordList {
    /// The words as bytes, as `text` appends them.
    static let bytes: [[UInt8]] = words.map { Array($0.utf8) }

    static let words = [
        "able", "about", "above", "across", "act", "add", "after", "again", "air", "all", "along", "also", "always",
        "among", "and", "answer", "any", "apple", "area", "arm", "around", "art", "ask", "away", "back", "ball",
        "bank", "base", "be", "bear", "beat", "bed", "before", "begin", "behind", "bell", "best", "better", "between",
        "big", "bird", "black", "blue", "boat", "body", "bone", "book", "both", "box", "boy", "bread", "break",
        "bright", "bring", "brother", "build", "busy", "but", "buy", "call", "calm", "camp", "can", "car", "care",
        "carry", "case", "cat", "catch", "cause", "cell", "center", "chair", "change", "check", "child", "city",
        "class", "clean", "clear", "close", "cloud", "coast", "cold", "color", "come", "common", "cook", "corn",
        "cost", "could", "count", "country", "course", "cover", "cross", "crowd", "cut", "dance", "dark", "day",
        "deep", "desk", "did", "dog", "door", "down", "draw", "dream", "dress", "drink", "drive", "dry", "during",
        "each", "early", "earth", "east", "easy", "eat", "edge", "egg", "end", "enough", "even", "evening", "ever",
        "every", "eye", "face", "fact", "fair", "fall", "far", "farm", "fast", "father", "feel", "few", "field",
        "fill", "find", "fine", "fire", "first", "fish", "five", "floor", "flower", "fly", "follow", "food", "foot",
        "for", "forest", "form", "four", "free", "fresh", "friend", "from", "front", "fruit", "full", "game", "garden",
        "gate", "gather", "give", "glad", "glass", "go", "gold", "good", "grass", "great", "green", "ground", "group",
        "grow", "half", "hand", "happy", "hard", "hat", "have", "head", "hear", "heart", "heavy", "help", "here",
        "high", "hill", "hold", "home", "hope", "horse", "hot", "hour", "house", "idea", "inch", "iron", "island",
        "join", "just", "keep", "kind", "king", "lake", "land", "large", "last", "late", "laugh", "lead", "learn",
        "leave", "left", "letter", "light", "like", "line", "list", "little", "live", "long", "look", "lot", "low",
        "machine", "main", "make", "many", "map", "mark", "market", "may", "meet", "middle", "might", "mile", "milk",
        "mind", "minute", "moon", "more", "morning", "most", "mother", "mountain", "move", "much", "music", "name",
        "near", "need", "never", "new", "next", "night", "north", "note", "now", "number", "ocean", "off", "often",
        "old", "once", "only", "open", "order", "other", "our", "over", "page", "paint", "paper", "park", "part",
        "pass", "path", "people", "pick", "piece", "place", "plain", "plan", "plant", "play", "point", "pond", "poor",
        "port", "power", "press", "pull", "push", "quick", "quiet", "rain", "reach", "read", "ready", "red", "rest",
        "rich", "ride", "right", "ring", "river", "road", "rock", "room", "root", "round", "row", "rule", "run",
        "salt", "same", "sand", "save", "say", "school", "sea", "season", "seat", "second", "see", "seed", "send",
        "set", "shape", "share", "ship", "shop", "short", "show", "side", "sign", "silver", "simple", "sing", "sister",
        "sit", "size", "sky", "sleep", "slow", "small", "snow", "soft", "soil", "some", "song", "soon", "sound",
        "south", "space", "speak", "spring", "square", "stand", "star", "start", "station", "stay", "step", "still",
        "stone", "stop", "store", "story", "street", "strong", "study", "such", "summer", "sun", "table", "tail",
        "take", "talk", "tall", "team", "tell", "ten", "than", "thing", "think", "three", "through", "time", "tiny",
        "today", "together", "tool", "top", "town", "track", "trade", "train", "tree", "true", "turn", "two", "under",
        "until", "up", "use", "valley", "very", "visit", "voice", "wait", "walk", "wall", "want", "warm", "wash",
        "watch", "water", "wave", "way", "weather", "week", "well", "west", "wheel", "when", "white", "whole", "wide",
        "wild", "wind", "window", "winter", "wish", "with", "wood", "word", "work", "world", "write", "yard", "year",
        "yellow", "young",
    ]
}
