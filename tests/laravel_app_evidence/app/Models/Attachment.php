<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;
use Illuminate\Database\Eloquent\Relations\MorphTo;

class Attachment extends Model
{
    // polymorphic: skipped
    public function attachable(): MorphTo
    {
        return $this->morphTo();
    }

    public function page(): BelongsTo
    {
        return $this->belongsTo(Page::class, 'uploaded_to');
    }
}
