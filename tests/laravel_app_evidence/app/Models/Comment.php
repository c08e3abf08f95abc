<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

class Comment extends Model
{
    // Laravel's default foreign key: author_id (the method's name), to users.id
    public function author(): BelongsTo
    {
        return $this->belongsTo(User::class);
    }

    public function page(): BelongsTo
    {
        return $this->belongsTo(Page::class);
    }

    // the default foreign key comes from the relation's name when one is given: moderator_id
    public function reviewer(): BelongsTo
    {
        return $this->belongsTo(User::class, null, null, 'moderator');
    }
}
